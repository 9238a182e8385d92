/** `GET /api/work`: the WebSocket a client receives batches on and sends results back over. */
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/bun";
import type { ClientHub } from "../ws/hub";
import type { ClientSession } from "../ws/client-session";
import type { TokenStore } from "../tokens";
import { requireToken, type AuthVariables } from "./auth";

const NAME = /^[\w.@-]{1,64}$/;

export function workRoute(deps: { hub: ClientHub; tokens: TokenStore }) {
  const { hub } = deps;
  return new Hono<{ Variables: AuthVariables }>().get(
    "/api/work",
    requireToken(deps.tokens),
    upgradeWebSocket((c) => {
      const requested = c.req.query("name") ?? "";
      const name = NAME.test(requested) ? requested : c.get("tokenName");
      const identity = { name, tokenName: c.get("tokenName"), address: c.get("address") };
      let session: ClientSession | undefined;
      return {
        onOpen(_event, ws) {
          session = hub.open(identity, {
            send: (text) => ws.send(text),
            close: (code, reason) => ws.close(code, reason),
          });
        },
        onMessage(event, _ws) {
          if (session) hub.message(session, event.data as string | ArrayBuffer);
        },
        onClose(event) {
          if (session) hub.close(session, `socket closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`);
        },
      };
    }),
  );
}
