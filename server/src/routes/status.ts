/**
 * `GET /api/status`: the run's progress and error counts for anyone; who the
 * clients and tokens are (names, addresses), why batches failed and the
 * database's own error text only for an admin (loopback or the admin token),
 * since the server may be open to the internet.
 */
import { Hono } from "hono";
import type { ClientHub } from "../ws/hub";
import type { Crawl } from "../crawl/crawl";
import type { AccessControl } from "../access/access-control";
import { publicDbTrouble } from "../access/public-status";

type RunStatus = ReturnType<Crawl["status"]>;

export interface StatusDeps {
  hub: ClientHub;
  currentCrawl: () => Crawl | undefined;
  version: string;
  access?: AccessControl;
  /** Exposure warnings (plain HTTP on a public address), for the dashboard to show. */
  warnings?: string[];
}

export function statusRoute(deps: StatusDeps) {
  return new Hono().get("/api/status", (c) => c.json(statusBody(deps, deps.access?.isAdmin(c) ?? false)));
}

/** What /api/status answers; `admin` adds names, addresses, reasons and error texts. */
export function statusBody(deps: StatusDeps, admin: boolean) {
  {
    const crawl = deps.currentCrawl();
    const run = crawl?.status() ?? null;
    const clients = [...deps.hub.all()];
    const figures = crawl?.clientFigures();
    const errors = run?.errors ?? {};
    const sum = (prefix: string) => Object.entries(errors).reduce((total, [name, n]) => (name.startsWith(prefix) ? total + n : total), 0);
    return {
      version: deps.version,
      warnings: deps.warnings ?? [],
      run: run && (admin ? run : publicRun(run)),
      clientsConnected: clients.length,
      ...(admin ? { clients: clients.map((session) => ({ ...session.summary(), ...(figures?.get(session.id) ?? {}) })) } : {}),
      errors: {
        invalidMessages: deps.hub.counters.invalidMessages,
        droppedClients: deps.hub.counters.droppedClients,
        refusedResults: sum("refused results"),
        failedBatches: run?.batches.failed ?? 0,
        failedReports: errors["failed batches reported"] ?? 0,
        dbRetries: errors["database retries"] ?? 0,
        suspendedClients: errors["clients suspended for lying"] ?? 0,
      },
      retries: clients.reduce((total, session) => total + (session.stats?.retries ?? 0), 0),
    };
  }
}

/** Counts only: no token names, no client-given reasons, no database error text (it may name hosts). */
export function publicRun(run: RunStatus) {
  const { tokens, ...verification } = run.verification;
  return {
    ...run,
    // The database's own text names host, port and user: the class, hint and code are for everyone.
    dbTrouble: publicDbTrouble(run.dbTrouble),
    verification: { ...verification, tokens: tokens.length, suspended: tokens.filter((t) => t.state === "suspended").length },
    failedBatches: run.failedBatches.map(({ reason: _reason, ...batch }) => batch),
  };
}
