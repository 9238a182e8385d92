/** `GET /api/work`: the WebSocket a client receives batches on and sends results back over. */
import { Hono } from "hono";
import * as v from "valibot";
import { upgradeWebSocket } from "hono/bun";
import type { ClientHub } from "../ws/hub";
import type { ClientSession } from "../ws/client-session";
import type { TokenStore } from "../tokens";
import { requireToken, type AuthVariables } from "./auth";
import type { AccessControl } from "../access/access-control";
import type { ServerConfig } from "@wotc/schema/config";
import { refuseOldClient } from "../client-builds/min-version";
import { OwnKey } from "@wotc/schema/wire/register";

const NAME = /^[\w.@-]{1,64}$/;

/**
 * The own key a client registered with, as register put it into the socket's
 * path (key, rps, per): undefined without one. Checked again here, because
 * anyone may open the socket with any query.
 */
export function ownKeyOf(key: string | undefined, rps: string | undefined, per: string | undefined): OwnKey | { invalid: string } | undefined {
  if (key === undefined && rps === undefined && per === undefined) return undefined;
  const parsed = v.safeParse(OwnKey, { hash: key, rps: rps === undefined || rps.trim() === "" ? undefined : Number(rps), per });
  return parsed.success ? parsed.output : { invalid: `invalid own-key parameters on the work socket (key, rps, per): ${v.summarize(parsed.issues)}` };
}

export function workRoute(deps: { config: ServerConfig; hub: ClientHub; tokens: TokenStore; access?: AccessControl }) {
  const { hub } = deps;
  return new Hono<{ Variables: AuthVariables }>().get(
    "/api/work",
    requireToken(deps.tokens),
    upgradeWebSocket((c) => {
      const requested = c.req.query("name") ?? "";
      const name = NAME.test(requested) ? requested : c.get("tokenName");
      const ownKey = ownKeyOf(c.req.query("key"), c.req.query("rps"), c.req.query("per"));
      const identity = {
        name,
        tokenName: c.get("tokenName"),
        tokenHash: c.get("tokenHash"),
        trust: c.get("trust"),
        agreements: c.get("agreements"),
        address: c.get("address"),
        ...(ownKey && !("invalid" in ownKey) ? { ownKey } : {}),
        ...(c.req.query("results") ? { resultFormat: c.req.query("results") } : {}),
      };
      const outdated = refuseOldClient(deps.config, c, c.req.query("version"));
      let session: ClientSession | undefined;
      let counted = false;
      return {
        onOpen(_event, ws) {
          // Told over the socket, where every client version shows it, then closed before it counts or gets work
          if (outdated) {
            ws.send(JSON.stringify({ type: "error", message: outdated.error }));
            ws.close(1008, "client version too old");
            return;
          }
          if (ownKey && "invalid" in ownKey) {
            ws.send(JSON.stringify({ type: "error", message: ownKey.invalid }));
            ws.close(1008, "invalid own-key parameters");
            return;
          }
          // Counted here, not at upgrade: several upgrades may race past the early check.
          if (deps.access && !(counted = deps.access.limits.tryOpen(identity.address))) {
            ws.close(1013, "too many open connections from your address");
            return;
          }
          session = hub.open(identity, {
            send: (text) => ws.send(text),
            close: (code, reason) => ws.close(code, reason),
          });
        },
        onMessage(event, _ws) {
          if (session) hub.message(session, event.data as string | ArrayBuffer);
        },
        onClose(event) {
          if (counted) deps.access!.limits.closed(identity.address);
          counted = false;
          // A frame over MAX_FRAME_BYTES, cut off by Bun (1009 to the client, 1006 "Received too big message" here)
          if (event.code === 1009 || /too big/i.test(event.reason)) hub.counters.invalidMessages++;
          if (session) hub.close(session, `socket closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`);
        },
      };
    }),
  );
}
