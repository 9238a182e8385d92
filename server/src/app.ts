/**
 * The HTTP + WebSocket app. Built from its dependencies so tests can create as
 * many as they like; main.ts starts it with Bun.serve.
 */
import { Hono } from "hono";
import { describeDbError, isTransientDbError } from "./db/db-errors";
import type { ServerConfig } from "@wotc/schema/config";
import type { ClientHub } from "./ws/hub";
import type { TokenStore } from "./tokens";
import type { Crawl } from "./crawl/crawl";
import { registerRoute } from "./routes/register";
import { workRoute } from "./routes/work";
import { statusRoute } from "./routes/status";
import { adminRoute } from "./routes/admin";
import { loopbackIsAdmin, type AccessControl } from "./access/access-control";
import { clientDistRoute } from "./routes/client-dist";
import type { ClientCatalog } from "./client-builds/catalog";
import { ClientAddressResolver } from "./access/client-address";
import { exposureWarnings } from "./access/exposure";
import { resolveClientAddress } from "./routes/auth";
import { statsRoute } from "./routes/stats";
import type { StatsSource } from "./stats/source";
import { dashboardRoute } from "./routes/dashboard";
import { controlRoute } from "./routes/control";
import { metricsRoute } from "./routes/metrics";
import type { DashboardFeed } from "./tracker/dashboard-feed";
import type { TrackerMetrics } from "./metrics/tracker-metrics";
import type { WebBuild } from "./web/web-build";
import type { ControlAction, ControlReply } from "./ctl/actions";

/** The operator's console: dashboard pages and feed, controls, metrics. */
export interface ConsoleDeps {
  feed: DashboardFeed;
  metrics: TrackerMetrics;
  /** The built pages, or why they could not be built. */
  web: WebBuild | { error: string };
  adminToken: string;
  control(action: ControlAction, name: string | undefined, who: string): Promise<ControlReply>;
}

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
  /** Without it the console routes (/, /api/dashboard, /api/live, controls, /metrics) are not there. */
  console?: ConsoleDeps;
  /** Where request errors are reported (default stderr). */
  log?: (line: string) => void;
}

export function createApp(deps: AppDeps) {
  const app = new Hono();
  const report = deps.log ?? ((line: string) => console.error(line));
  // First: every check below reads the client's address through it (trusted proxies, normalised)
  app.use("*", resolveClientAddress(new ClientAddressResolver(deps.config.server)));
  if (deps.access) {
    // Before the routes' token check, so refused addresses and floods never reach the database.
    app.use("/api/register", deps.access.addressGuard, deps.access.registerLimit);
    app.use("/api/work", deps.access.addressGuard, deps.access.connectionLimit, deps.access.failedUpgradeLimit);
  }
  app.route("/", registerRoute(deps));
  app.route("/", workRoute(deps));
  app.route("/", statusRoute({ ...deps, warnings: exposureWarnings(deps.config) }));
  app.route("/", adminRoute(deps));
  app.route("/", clientDistRoute(deps));
  if (deps.console) {
    const { feed, metrics, web } = deps.console;
    const policy = { adminToken: deps.console.adminToken, trustLoopback: loopbackIsAdmin(deps.config) };
    app.route("/", dashboardRoute({ web, policy, snapshot: (admin) => feed.snapshot(admin), subscribe: (listener) => feed.subscribe(listener) }));
    app.route("/", controlRoute({ policy, control: deps.console.control }));
    app.route(
      "/",
      metricsRoute({
        metrics: async () => {
          feed.sample();
          return { text: await metrics.text(), contentType: metrics.contentType };
        },
      }),
    );
  }
  app.route("/", statsRoute(deps));
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    // A database outage shows as one line per request, not a stack trace, and the client is told to come back.
    if (isTransientDbError(error)) {
      report(`${c.req.method} ${c.req.path}: database unavailable (${describeDbError(error)})`);
      return c.json({ error: "the tracker's database is unavailable; try again later" }, 503);
    }
    report(`error serving ${c.req.method} ${c.req.path}: ${error.message}`);
    if (process.env.WOTC_DEBUG) console.error(error);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
