/** `GET /api/status`: the run's progress and each client's figures, as JSON. */
import { Hono } from "hono";
import type { ClientHub } from "../ws/hub";
import type { Crawl } from "../crawl/crawl";

export function statusRoute(deps: { hub: ClientHub; currentCrawl: () => Crawl | undefined; version: string }) {
  return new Hono().get("/api/status", (c) => {
    const crawl = deps.currentCrawl();
    const clients = [...deps.hub.all()].map((session) => session.summary());
    return c.json({
      version: deps.version,
      run: crawl?.status() ?? null,
      clientsConnected: clients.length,
      clients,
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
