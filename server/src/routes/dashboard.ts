/**
 * The dashboard: `GET /` (and any other page in web/pages.ts) from the build,
 * `GET /assets/*` for its bundled scripts and styles, `GET /api/dashboard`
 * for one snapshot and `GET /api/live` for a snapshot every second
 * (server-sent events). What a snapshot holds depends on who asks: counts
 * for anyone, names, addresses and events for an admin.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { DashboardSnapshot } from "../tracker/dashboard-feed";
import type { WebBuild } from "../web/web-build";
import { PAGES } from "../web/pages";
import { viewerOf, type ViewerPolicy } from "./viewer";

export interface DashboardRouteDeps {
  /** The built pages, or why there are none (GET / then says so). */
  web: WebBuild | { error: string };
  policy: ViewerPolicy;
  snapshot(admin: boolean): DashboardSnapshot;
  /** Called once a second while the tracker runs; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

const ASSET_NAME = /^[\w.-]+$/;

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  // The pages load only their own bundles and talk only to this tracker; no other site may frame them.
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
};

export function dashboardRoute(deps: DashboardRouteDeps) {
  const app = new Hono();
  const { web } = deps;
  if ("error" in web) {
    for (const { route } of PAGES) app.get(route, (c) => c.text(`The page could not be built: ${web.error}\n/api/status, /api/stats/* and /metrics still answer.`, 503));
  } else {
    for (const [route, file] of web.pages) app.get(route, () => new Response(Bun.file(file), { headers: PAGE_HEADERS }));
  }
  app.get("/assets/:file", async (c) => {
    const name = c.req.param("file");
    if ("error" in web) return c.json({ error: "the dashboard could not be built" }, 404);
    const file = Bun.file(`${web.assetsDir}/${name}`);
    if (!ASSET_NAME.test(name) || !(await file.exists())) return c.json({ error: `no asset ${name}` }, 404);
    // Names carry a content hash: a new build is a new name.
    return new Response(file, { headers: { "cache-control": "public, max-age=31536000, immutable", "content-type": file.type } });
  });
  app.get("/api/dashboard", (c) => c.json(deps.snapshot(viewerOf(c, deps.policy).admin)));
  app.get("/api/live", (c) => {
    const admin = viewerOf(c, deps.policy).admin;
    return streamSSE(c, async (stream) => {
      let writing = false;
      const send = async () => {
        if (writing || stream.aborted) return; // a slow reader skips a second rather than piling up
        writing = true;
        try {
          await stream.writeSSE({ event: "snapshot", data: JSON.stringify(deps.snapshot(admin)) });
        } finally {
          writing = false;
        }
      };
      const closed = Promise.withResolvers<void>();
      const unsubscribe = deps.subscribe(() => void send().catch(() => closed.resolve()));
      stream.onAbort(() => closed.resolve());
      await send();
      await closed.promise;
      unsubscribe();
    });
  });
  return app;
}
