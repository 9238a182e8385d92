/**
 * The dashboard's view of the running tracker: once a second it looks at the
 * hub and the crawl, adds a point to the run's chart, moves the figures into
 * the volunteer tally and /metrics, and tells the live pages. `snapshot()`
 * is what a page (and `GET /api/dashboard`) receives; a visitor who is not
 * admin gets the counts only: no names, addresses or events. An admin's
 * snapshot brings the tally up to the moment itself, so its table never
 * trails the sessions by a sample.
 */
import { publicRun } from "../routes/status";
import { publicDbError } from "../access/public-status";
import type { Crawl } from "../crawl/crawl";
import type { ClientHub } from "../ws/hub";
import type { EventRing, TrackerEvent } from "../events/event-ring";
import type { TrackerMetrics } from "../metrics/tracker-metrics";
import type { RecentRun } from "../db/queries/recent-runs";
import { RunSeries, type SeriesColumns } from "./run-series";
import type { VolunteerRow, VolunteerTally } from "./volunteer-tally";
import type { LeasingControls, LeasingState } from "./leasing-controls";
import type { RunHistory } from "./run-history";

/** What the tracker is doing, as the page's header says it. */
export type TrackerPhase = "starting" | "crawling" | "waiting" | "stopping" | "finished";

export interface DashboardSnapshot {
  version: string;
  now: number;
  admin: boolean;
  mode: "run" | "serve";
  phase: TrackerPhase;
  /** Why no run is going (scheduled mode between runs), or null. */
  waiting: string | null;
  leasing: { state: LeasingState; by: string | null; at: number | null };
  /** The crawl's status; for a visitor without names, reasons or the database's error text (publicRun). */
  run: (ReturnType<typeof publicRun> | ReturnType<Crawl["status"]>) & { playersFound: number } | null;
  chart: SeriesColumns;
  clients: { connected: number; idsPerSecond: number };
  /** Admin only (null otherwise). */
  volunteers: VolunteerRow[] | null;
  leaderboard: { source: "database" | "memory"; days: number; rows: { name: string; batches: number; ids: number; days: number; lastDate: string }[] } | null;
  events: TrackerEvent[] | null;
  history: RecentRun[];
  historyError: string | null;
  errors: { invalidMessages: number; droppedClients: number; refusedResults: number; failedBatches: number; dbRetries: number; suspendedClients: number; retries: number };
  controls: { runNow: boolean; suspend: boolean };
}

export interface FeedSources {
  version: string;
  mode: "run" | "serve";
  hub: ClientHub;
  crawl(): Crawl | undefined;
  phase(): { phase: TrackerPhase; waiting: string | null };
  /** Players found in the run's batches committed before this tracker took it over (resumed run). */
  foundBefore(crawl: Crawl): number;
  leasing: LeasingControls;
  events: EventRing;
  history: RunHistory;
  tally: VolunteerTally;
  metrics: TrackerMetrics;
  controls: { runNow: boolean; suspend: boolean };
}

export class DashboardFeed {
  private readonly series = new RunSeries();
  private seriesOf: Crawl | undefined;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly sources: FeedSources,
    private readonly everyMs = 1_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.sample(), this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called for every sample; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Looks at the tracker now: tally, chart, metrics; then tells the live pages. */
  sample(): void {
    const { hub, tally, metrics, history } = this.sources;
    const crawl = this.sources.crawl();
    tally.observe(crawl?.date, hub.all());
    if (crawl !== this.seriesOf) {
      this.series.clear();
      this.seriesOf = crawl;
    }
    const status = crawl?.status();
    if (crawl && status && crawl.state === "crawling") {
      this.series.add({ t: Math.floor(Date.now() / 1000), idsPerSecond: crawl.idsPerSecond.perSecond(), batchesDone: status.batches.done });
    }
    const counts = crawl?.book.counts;
    metrics.update({
      crawl,
      batches: counts ?? { queued: 0, leased: 0, checking: 0, held: 0, writing: 0, committed: 0, failed: 0 },
      crawlCounters: { committed: counts?.committed ?? 0, ...pickCrawlCounters(crawl) },
      checkedShare: status?.verification.checkedShare ?? 0,
      hub: hub.counters,
      volunteers: tally.lifetime,
      clientsConnected: hub.size,
      dbPendingChunks: status?.dbPendingChunks ?? 0,
      dbUp: !crawl?.dbTrouble && history.error === undefined,
      idsPerSecond: status?.idsPerSecond ?? 0,
      lastCompleteRunAt: history.lastCompleteRunAt,
    });
    for (const listener of this.listeners) listener();
  }

  /** The last days, with the current run's row from the crawl itself (the table is read from the database every few seconds, and not at all while it is down). */
  private historyWithLiveRun(crawl: Crawl | undefined, status: ReturnType<Crawl["status"]> | undefined): RecentRun[] {
    const rows = this.sources.history.runs;
    if (!crawl || !status) return rows;
    const found = this.sources.foundBefore(crawl) + crawl.counters.rowsWritten;
    const stored = rows.find((row) => row.date === crawl.date);
    if (stored) return rows.map((row) => (row === stored ? liveRowOf(row, status, found) : row));
    const live: RecentRun = {
      date: crawl.date,
      state: "running",
      startedAt: crawl.startedAt,
      finishedAt: null,
      batchesTotal: status.batches.total,
      batchesCommitted: status.batches.done,
      batchesFailed: null,
      playersFound: found,
      errors: 0,
    };
    return [live, ...rows].sort((a, b) => b.date.localeCompare(a.date));
  }

  snapshot(admin: boolean): DashboardSnapshot {
    const { hub, tally, history, leasing, events } = this.sources;
    const crawl = this.sources.crawl();
    const status = crawl?.status();
    const sessions = [...hub.all()];
    // The table is as of now, not of the last sample: a client can answer a dozen batches from its burst within that second.
    if (admin) tally.observe(crawl?.date, sessions);
    const { phase, waiting } = this.sources.phase();
    const databaseRows = history.leaderboard;
    return {
      version: this.sources.version,
      now: Date.now(),
      admin,
      mode: this.sources.mode,
      phase,
      waiting,
      leasing: { state: leasing.state, by: admin ? (leasing.changedBy?.who ?? null) : null, at: leasing.changedBy?.at ?? null },
      // For a visitor: no token names, client reasons or database text (publicRun)
      run: crawl && status ? { ...(admin ? status : publicRun(status)), playersFound: this.sources.foundBefore(crawl) + crawl.counters.rowsWritten } : null,
      chart: crawl === this.seriesOf ? this.series.columns() : { t: [], idsPerSecond: [], batchesDone: [] },
      clients: { connected: sessions.length, idsPerSecond: sessions.reduce((sum, s) => sum + (s.stats?.idsPerSecond ?? 0), 0) },
      volunteers: admin ? tally.rows(sessions, (token) => crawl?.trust.stateOf(token)) : null,
      // The ledger's answered_by once it has rows; until then (or on an older schema) what this tracker saw.
      leaderboard: admin
        ? databaseRows && databaseRows.length > 0
          ? { source: "database", days: 30, rows: databaseRows }
          : { source: "memory", days: 30, rows: tally.leaderboard() }
        : null,
      events: admin ? events.latest(100) : null,
      history: this.historyWithLiveRun(crawl, status),
      historyError: admin ? (history.error ?? null) : publicDbError(history.error ?? null),
      errors: {
        invalidMessages: hub.counters.invalidMessages,
        droppedClients: hub.counters.droppedClients,
        refusedResults: errorSum(status?.errors, "refused results"),
        failedBatches: status?.batches.failed ?? 0,
        dbRetries: status?.errors["database retries"] ?? 0,
        suspendedClients: status?.errors["clients suspended for lying"] ?? 0,
        retries: sessions.reduce((sum, s) => sum + (s.stats?.retries ?? 0), 0),
      },
      controls: this.sources.controls,
    };
  }
}

/** The current run's row in "last days" comes from the crawl itself (the table is read from the database every few seconds). */
function liveRowOf(row: RecentRun, status: ReturnType<Crawl["status"]>, found: number): RecentRun {
  return { ...row, batchesCommitted: Math.max(row.batchesCommitted, status.batches.done), playersFound: Math.max(row.playersFound, found) };
}

function pickCrawlCounters(crawl: Crawl | undefined) {
  const errors = crawl?.status().errors ?? {};
  return {
    rowsWritten: crawl?.counters.rowsWritten ?? 0,
    dbRetries: errors["database retries"] ?? 0,
    dbBlocked: errorSum(errors, "database blocked"),
    expiredLeases: errors["expired leases"] ?? 0,
    failedBatches: errors["batches set aside as failed"] ?? 0,
    suspendedClients: errors["clients suspended for lying"] ?? 0,
  };
}

/** The run's errors whose kind starts with `prefix` ("refused results: too fast", ...), added up. */
export function errorSum(errors: Record<string, number> | undefined, prefix: string): number {
  let sum = 0;
  for (const [name, n] of Object.entries(errors ?? {})) if (name.startsWith(prefix)) sum += n;
  return sum;
}
