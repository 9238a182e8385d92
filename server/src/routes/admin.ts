/**
 * `GET /api/admin/status`: everything /api/status shows plus each client's
 * details and the access counters; admin only (loopback or the admin token).
 */
import { Hono } from "hono";
import type { ClientHub } from "../ws/hub";
import type { Crawl } from "../crawl/crawl";
import type { AccessControl } from "../access/access-control";
import { statusBody } from "./status";

export function adminRoute(deps: { hub: ClientHub; currentCrawl: () => Crawl | undefined; version: string; access?: AccessControl }) {
  const app = new Hono();
  const { access } = deps;
  if (!access) {
    return app.all("/api/admin/*", (c) => c.json({ error: "admin endpoints are off: no access control configured" }, 404));
  }
  return app.use("/api/admin/*", access.requireAdmin).get("/api/admin/status", (c) => {
    return c.json({
      ...statusBody(deps, true),
      hub: deps.hub.counters,
      access: { ...access.counters, ...access.limits.counters },
    });
  });
}
