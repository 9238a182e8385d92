/** Bearer-token check shared by register and the work socket. */
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/bun";
import { hashToken, type TokenStore, type TrustLevel } from "../tokens";

/** tokenHash identifies the token itself: a token replaced by `token add NAME` again is another token. */
export type AuthVariables = { tokenName: string; tokenHash: string; address: string; trust: TrustLevel };

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

export function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown"; // app.request() in tests has no socket
  }
}

export function requireToken(tokens: TokenStore): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = bearerToken(c);
    const identity = await tokens.verify(token);
    // One answer for a missing, wrong or revoked token: no hint about which.
    if (!identity) return c.json({ error: "a valid client token is required (Authorization: Bearer TOKEN)" }, 401);
    // A suspended volunteer is told why, so they can ask the operator instead of retrying.
    if (identity.suspended) {
      return c.json({ error: `token ${identity.name} is suspended: ${identity.suspended.reason}; ask the operator to reinstate it` }, 403);
    }
    c.set("tokenName", identity.name);
    c.set("trust", identity.trust);
    c.set("tokenHash", hashToken(token!));
    c.set("address", remoteAddress(c));
    await next();
  };
}
