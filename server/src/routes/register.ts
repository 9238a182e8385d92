/** `POST /api/register`: a client with a valid token gets its WG key and settings. */
import { Hono } from "hono";
import * as v from "valibot";
import type { ServerConfig } from "@wotc/schema/config";
import { WG_FIELDS } from "@wotc/schema/player";
import { RegisterRequest, type ClientSettings } from "@wotc/schema/wire/register";
import type { ClientHub } from "../ws/hub";
import type { TokenStore } from "../tokens";
import { requireToken, type AuthVariables } from "./auth";
import { refuseOldClient } from "../client-builds/min-version";

export function registerRoute(deps: { config: ServerConfig; hub: ClientHub; tokens: TokenStore }) {
  const { config, hub } = deps;
  return new Hono<{ Variables: AuthVariables }>().post("/api/register", requireToken(deps.tokens), async (c) => {
    const body = v.safeParse(RegisterRequest, await c.req.json().catch(() => undefined));
    if (!body.success) return c.json({ error: `invalid register request: ${v.summarize(body.issues)}` }, 400);
    const name = body.output.name;
    const outdated = refuseOldClient(config, c, body.output.version);
    if (outdated) return c.json(outdated, 426);
    const address = c.get("address");
    // The key follows the token, never the name the client chose for itself.
    const keyIndex = hub.keyFor(c.get("tokenName"), address);
    if (keyIndex === undefined) return c.json({ error: `no WG key is configured for token ${c.get("tokenName")} (${address})` }, 403);
    // The share assumes this client will connect; the socket sends the exact share once it does.
    const rps = hub.keys.share(keyIndex, 1, address);
    const settings: ClientSettings = {
      name,
      applicationId: config.wg.keys[keyIndex]!.applicationId,
      rps,
      inFlight: rps === null ? config.server.unlimitedInFlight : Math.ceil(rps) + config.server.extraInFlight,
      apiBase: config.wg.apiBase,
      fields: [...WG_FIELDS],
      language: config.wg.language,
      requestTimeoutMs: config.wg.requestTimeoutMs,
      maxAttempts: config.wg.maxAttempts,
      // The socket checks clients.minVersion too; old clients use this path as given
      workPath: `/api/work?name=${encodeURIComponent(name)}${body.output.version ? `&version=${encodeURIComponent(body.output.version)}` : ""}`,
    };
    return c.json(settings);
  });
}
