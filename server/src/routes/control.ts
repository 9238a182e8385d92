/**
 * `POST /api/admin/control/:action` (JSON body `{ "name": "..." }` for
 * suspend and reinstate): the operator's controls, for the dashboard and
 * `bun run server ctl`. Admin only, same-origin only.
 */
import { Hono } from "hono";
import { isControlAction, NAMED_ACTIONS, type ControlAction, type ControlReply } from "../ctl/actions";
import { sameOriginOnly } from "./same-origin";
import { viewerOf, type ViewerPolicy } from "./viewer";

export interface ControlRouteDeps {
  policy: ViewerPolicy;
  control(action: ControlAction, name: string | undefined, who: string): Promise<ControlReply>;
}

export function controlRoute(deps: ControlRouteDeps) {
  return new Hono().post("/api/admin/control/:action", sameOriginOnly, async (c) => {
    const viewer = viewerOf(c, deps.policy);
    if (!viewer.admin) return c.json({ ok: false, message: "admin only: use the admin token (or the tracker's own machine)" }, 401);
    const action = c.req.param("action");
    if (!isControlAction(action)) return c.json({ ok: false, message: `no control named ${action}` }, 404);
    let name: string | undefined;
    if (NAMED_ACTIONS.has(action)) {
      const body = (await c.req.json().catch(() => ({}))) as { name?: unknown };
      if (typeof body.name !== "string" || !/^[\w.@-]{1,64}$/.test(body.name)) {
        return c.json({ ok: false, message: `${action} needs a JSON body {"name": TOKEN_NAME}` }, 400);
      }
      name = body.name;
    }
    const reply = await deps.control(action, name, viewer.who);
    return c.json(reply, reply.ok ? 200 : 409);
  });
}
