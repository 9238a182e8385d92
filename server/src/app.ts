/**
 * The HTTP + WebSocket app. Built from its dependencies so tests can create as
 * many as they like; main.ts starts it with Bun.serve.
 */
import { Hono } from "hono";
import type { ServerConfig } from "@wotc/schema/config";
import type { ClientHub } from "./ws/hub";
import type { TokenStore } from "./tokens";
import type { Crawl } from "./crawl/crawl";
import { registerRoute } from "./routes/register";
import { workRoute } from "./routes/work";
import { statusRoute } from "./routes/status";

export interface AppDeps {
  config: ServerConfig;
  hub: ClientHub;
  tokens: TokenStore;
  currentCrawl: () => Crawl | undefined;
  version: string;
}

export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.route("/", registerRoute(deps));
  app.route("/", workRoute(deps));
  app.route("/", statusRoute(deps));
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    console.error(`error serving ${c.req.method} ${c.req.path}:`, error);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
