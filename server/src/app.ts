/**
 * The HTTP + WebSocket app. Built from its dependencies so tests can create as
 * many as they like; main.ts starts it with Bun.serve.
 */
import { Hono } from "hono";
import { describeDbError, isTransientDbError } from "./db/transient-errors";
import type { ServerConfig } from "@wotc/schema/config";
import type { ClientHub } from "./ws/hub";
import type { TokenStore } from "./tokens";
import type { Crawl } from "./crawl/crawl";
import { registerRoute } from "./routes/register";
import { workRoute } from "./routes/work";
import { statusRoute } from "./routes/status";
import { adminRoute } from "./routes/admin";
import type { AccessControl } from "./access/access-control";
import { clientDistRoute } from "./routes/client-dist";
import type { ClientCatalog } from "./dist/catalog";
import { statsRoute } from "./routes/stats";
import type { StatsSource } from "./stats/source";

export interface AppDeps {
  config: ServerConfig;
  hub: ClientHub;
  tokens: TokenStore;
  currentCrawl: () => Crawl | undefined;
  version: string;
  /** The client builds this server distributes; without it the client routes answer 404. */
  clientBuilds?: ClientCatalog;
  /** Address lists, per-address limits and the admin check; without it no request counts as admin. */
  access?: AccessControl;
  /** The public daily statistics (/api/stats/*); without it they answer 404. */
  stats?: StatsSource;
}

export function createApp(deps: AppDeps) {
  const app = new Hono();
  if (deps.access) {
    // Before the routes' token check, so refused addresses and floods never reach the database.
    app.use("/api/register", deps.access.addressGuard, deps.access.registerLimit);
    app.use("/api/work", deps.access.addressGuard, deps.access.connectionLimit);
  }
  app.route("/", registerRoute(deps));
  app.route("/", workRoute(deps));
  app.route("/", statusRoute(deps));
  app.route("/", adminRoute(deps));
  app.route("/", clientDistRoute(deps));
  app.route("/", statsRoute(deps));
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    // A database outage shows as one line per request, not a stack trace, and the client is told to come back.
    if (isTransientDbError(error)) {
      console.error(`${c.req.method} ${c.req.path}: database unavailable (${describeDbError(error)})`);
      return c.json({ error: "the tracker's database is unavailable; try again later" }, 503);
    }
    console.error(`error serving ${c.req.method} ${c.req.path}: ${error.message}`);
    if (process.env.WOTC_DEBUG) console.error(error);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
