/** `POST /api/register`: a client with a valid token gets its settings, and its WG key unless it brought its own. */
import { Hono } from "hono";
import * as v from "valibot";
import type { ServerConfig } from "@wotc/schema/config";
import { WG_FIELDS } from "@wotc/schema/player";
import { RegisterRequest, type ClientSettings, type OwnKey } from "@wotc/schema/wire/register";
import { inFlightFor, type ClientHub } from "../ws/hub";
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
    // The key follows the token, never the name the client chose for itself; or it is the client's own.
    const offer = hub.keys.offer({ tokenName: c.get("tokenName"), address, ownKey: body.output.ownKey });
    if ("refused" in offer) return c.json({ error: offer.refused }, 403);
    // The share assumes this client will connect; the socket sends the exact share once it does.
    const settings: ClientSettings = {
      name,
      // A client with its own key gets none of ours: the operator's key goes to no one who does not need it
      ...(offer.applicationId === undefined ? {} : { applicationId: offer.applicationId }),
      rps: offer.rps,
      inFlight: inFlightFor(offer.rps, config),
      apiBase: config.wg.apiBase,
      fields: [...WG_FIELDS],
      language: config.wg.language,
      requestTimeoutMs: config.wg.requestTimeoutMs,
      maxAttempts: config.wg.maxAttempts,
      // The socket checks clients.minVersion too; old clients use this path as given
      workPath: workPath(name, body.output.version, body.output.ownKey),
    };
    return c.json(settings);
  });
}

/**
 * The work socket's path carries what the socket checks again: the version
 * (clients.minVersion; old clients use this path as given) and the client's
 * own key, as the hash and rate it registered with (see ownKeyOf in work.ts).
 */
function workPath(name: string, version: string | undefined, ownKey: OwnKey | undefined): string {
  const query = new URLSearchParams({ name });
  if (version) query.set("version", version);
  if (ownKey) {
    query.set("key", ownKey.hash);
    query.set("rps", String(ownKey.rps));
    query.set("per", ownKey.per);
  }
  return `/api/work?${query}`;
}
