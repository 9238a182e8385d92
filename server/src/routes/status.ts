/**
 * `GET /api/status`: the run's progress and error counts for anyone; each
 * client's figures (names, addresses, tokens) only for an admin (loopback or
 * the admin token), since the server may be open to the internet.
 */
import { Hono } from "hono";
import type { ClientHub } from "../ws/hub";
import type { Crawl } from "../crawl/crawl";
import type { AccessControl } from "../access/access-control";
import { publicRunStatus } from "../access/public-status";

export function statusRoute(deps: { hub: ClientHub; currentCrawl: () => Crawl | undefined; version: string; access?: AccessControl; warnings?: string[] }) {
  return new Hono().get("/api/status", (c) => {
    const crawl = deps.currentCrawl();
    const clients = [...deps.hub.all()].map((session) => session.summary());
    const admin = deps.access?.isAdmin(c) ?? false;
    return c.json({
      version: deps.version,
      // Exposure warnings (plain HTTP on a public address), for the dashboard to show
      warnings: deps.warnings ?? [],
      // A database error names host, port and user: the text is for admins
      run: admin ? (crawl?.status() ?? null) : publicRunStatus(crawl?.status() ?? null),
      clientsConnected: clients.length,
      ...(admin ? { clients } : {}),
      errors: {
        invalidMessages: deps.hub.counters.invalidMessages,
        droppedClients: deps.hub.counters.droppedClients,
        refusedResults: crawl?.counters.refusedResults ?? 0,
        failedBatches: crawl?.counters.failedBatches ?? 0,
        dbRetries: crawl?.counters.dbRetries ?? 0,
      },
      retries: clients.reduce((sum, client) => sum + (client.reported?.retries ?? 0), 0),
    });
  });
}
