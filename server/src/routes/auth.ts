/** Bearer-token check shared by register and the work socket, and the one place a request's address comes from. */
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/bun";
import { hashToken, type TokenStore, type TrustLevel } from "../tokens";
import type { ClientAddressResolver } from "../access/client-address";
import { normalizeAddress } from "../access/address-filter";

const CLIENT_ADDRESS = "clientAddress";

/** tokenHash identifies the token itself: a token replaced by `token add NAME` again is another token. */
export type AuthVariables = { tokenName: string; tokenHash: string; address: string; trust: TrustLevel; agreements: number };

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

/**
 * The client's address, as every access list, per-address limit, key choice
 * and log line must see it: resolved once per request by `resolveClientAddress`
 * (through trusted proxies, normalised); without that middleware, the
 * socket's address, normalised.
 */
export function remoteAddress(c: Context): string {
  const resolved = c.get(CLIENT_ADDRESS) as string | undefined;
  if (resolved !== undefined) return resolved;
  const peer = socketAddress(c);
  return (peer && normalizeAddress(peer)) ?? "unknown";
}

/** Runs first on every request (createApp), so nothing can read an address before it is resolved. */
export function resolveClientAddress(resolver: ClientAddressResolver): MiddlewareHandler {
  return async (c, next) => {
    c.set(CLIENT_ADDRESS as never, resolver.resolve(socketAddress(c), c.req.header(resolver.header)) as never);
    await next();
  };
}

/** The request's Host, or the host of its URL where there is no header (app.request in tests). */
export function requestHost(c: Context): string | undefined {
  const header = c.req.header("host");
  if (header !== undefined) return header;
  try {
    return new URL(c.req.url).host;
  } catch {
    return undefined; // HTTP/1.0 without Host: Bun gives a path, not a URL
  }
}

function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // app.request() in tests has no socket
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
    c.set("agreements", identity.agreements);
    c.set("tokenHash", hashToken(token!));
    c.set("address", remoteAddress(c));
    await next();
  };
}
