/**
 * `GET /metrics`: what an operator alerts on, in the Prometheus text format
 * (prom-client). One Registry per tracker, never the library's global one, so
 * two trackers in one process keep their own figures. Counters end in
 * `_total`, times are seconds, and no label names an account, a client or an
 * address (a label per volunteer would grow without bound and publish names).
 *
 * The figures live in the hub, the crawl and the volunteer tally; `update()`
 * moves their growth since the last look into the counters, so a counter
 * keeps counting across runs and reconnects.
 */
import { Counter, Gauge, Registry } from "prom-client";
import { REFUSAL_REASONS, refusalReason } from "./refusal-reason";

/** The cumulative figures `update()` reads; each only ever grows (per crawl, per hub). */
export interface MetricsSample {
  /** The crawl these crawl figures belong to (a new run starts them at zero). */
  crawl: object | undefined;
  batches: { queued: number; leased: number; checking: number; held: number; writing: number; committed: number; failed: number };
  crawlCounters: { committed: number; rowsWritten: number; dbRetries: number; dbBlocked: number; expiredLeases: number; failedBatches: number; suspendedClients: number };
  /** Share of the run's committed batches another token's answer confirmed. */
  checkedShare: number;
  hub: { invalidMessages: number; droppedClients: number; connections: number };
  volunteers: { ids: number; retries: number; rateLimited: number };
  clientsConnected: number;
  dbPendingChunks: number;
  dbUp: boolean;
  idsPerSecond: number;
  lastCompleteRunAt: number | null;
}

type CrawlCounterName = keyof MetricsSample["crawlCounters"];

export class TrackerMetrics {
  readonly registry = new Registry();
  private readonly counters;
  private readonly gauges;
  private readonly refused;
  private lastCrawl: object | undefined;
  private lastCrawlCounters: MetricsSample["crawlCounters"] | undefined;
  private lastHub: MetricsSample["hub"] = { invalidMessages: 0, droppedClients: 0, connections: 0 };
  private lastVolunteers: MetricsSample["volunteers"] = { ids: 0, retries: 0, rateLimited: 0 };

  constructor(version: string) {
    const registers = [this.registry];
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });
    new Gauge({ name: "wotc_info", help: "The tracker's version (always 1).", labelNames: ["version"], registers }).set({ version }, 1);
    this.counters = {
      committed: counter("wotc_batches_committed_total", "Batches committed to the database (100 account IDs each, the last of a range fewer)."),
      ids: counter("wotc_ids_queried_total", "Account IDs in the results the tracker accepted from clients."),
      rowsWritten: counter("wotc_players_written_total", "Player rows written to the database (accounts found)."),
      retries: counter("wotc_wg_retries_total", "WG API requests retried, as clients report them."),
      rateLimited: counter("wotc_wg_rate_limited_total", "WG API answers REQUEST_LIMIT_EXCEEDED, as clients report them."),
      invalidMessages: counter("wotc_invalid_messages_total", "WebSocket messages refused as malformed (size, JSON, shape)."),
      droppedClients: counter("wotc_clients_dropped_total", "Clients disconnected for sending too many bad messages."),
      connections: counter("wotc_client_connections_total", "Client work sockets opened."),
      expiredLeases: counter("wotc_leases_expired_total", "Leases that ran out without an answer and were leased again."),
      failedBatches: counter("wotc_batches_failed_total", "Batches set aside as failed (every client that tried them failed); the next run retries them."),
      suspendedClients: counter("wotc_tokens_suspended_total", "Tokens suspended for answers no honest client gave (or for answering faster than their rate share)."),
      dbRetries: new Counter({ name: "wotc_db_errors_total", help: "Database write errors: retried writes (the database was unreachable) and blocked ones (disk full, read-only, a right or a CHECK: the operator must act).", labelNames: ["kind"], registers }),
    };
    this.refused = new Counter({ name: "wotc_results_refused_total", help: "Results refused, by reason.", labelNames: ["reason"], registers });
    for (const reason of REFUSAL_REASONS) this.refused.inc({ reason }, 0);
    for (const kind of ["write_retry", "blocked"]) this.counters.dbRetries.inc({ kind }, 0);
    this.gauges = {
      batches: gauge("wotc_run_batches", "Batches of the current run by state.", ["state"]),
      clients: gauge("wotc_clients_connected", "Clients connected now."),
      dbQueueChunks: gauge("wotc_db_queue_chunks", "Chunks waiting for or being written by the DB helpers."),
      dbQueueBatches: gauge("wotc_db_queue_batches", "Batches accepted and not yet committed."),
      dbUp: gauge("wotc_db_up", "1 while database writes succeed, 0 while they are failing."),
      idsPerSecond: gauge("wotc_run_ids_per_second", "Account IDs committed per second over the last 10 seconds."),
      lastComplete: gauge("wotc_last_complete_run_timestamp_seconds", "When the last complete run finished (Unix seconds); 0 if none yet."),
      checked: gauge("wotc_run_checked_ratio", "Share of the current run's committed batches whose answer another client's confirmed."),
    };
  }

  /** A result was refused: counted by the kind of refusal, never by who sent it. */
  resultRefused(error: string): void {
    this.refused.inc({ reason: refusalReason(error) });
  }

  update(sample: MetricsSample): void {
    if (sample.crawl !== this.lastCrawl) {
      this.lastCrawl = sample.crawl;
      this.lastCrawlCounters = undefined;
    }
    const before = this.lastCrawlCounters ?? { committed: 0, rowsWritten: 0, dbRetries: 0, dbBlocked: 0, expiredLeases: 0, failedBatches: 0, suspendedClients: 0 };
    // A crawl's counters start when it is first seen: batches committed before (a resumed run) are not this tracker's.
    const firstLook = this.lastCrawlCounters === undefined && sample.crawl !== undefined;
    const grow = (name: CrawlCounterName) => (firstLook && name === "committed" ? 0 : Math.max(0, sample.crawlCounters[name] - before[name]));
    this.counters.committed.inc(grow("committed"));
    this.counters.rowsWritten.inc(grow("rowsWritten"));
    this.counters.expiredLeases.inc(grow("expiredLeases"));
    this.counters.failedBatches.inc(grow("failedBatches"));
    this.counters.dbRetries.inc({ kind: "write_retry" }, grow("dbRetries"));
    this.counters.dbRetries.inc({ kind: "blocked" }, grow("dbBlocked"));
    this.counters.suspendedClients.inc(grow("suspendedClients"));
    this.lastCrawlCounters = sample.crawl ? { ...sample.crawlCounters } : undefined;

    for (const name of ["invalidMessages", "droppedClients", "connections"] as const) {
      this.counters[name].inc(Math.max(0, sample.hub[name] - this.lastHub[name]));
    }
    this.lastHub = { ...sample.hub };
    for (const name of ["ids", "retries", "rateLimited"] as const) {
      this.counters[name].inc(Math.max(0, sample.volunteers[name] - this.lastVolunteers[name]));
    }
    this.lastVolunteers = { ...sample.volunteers };

    for (const state of ["queued", "leased", "checking", "held", "writing", "committed", "failed"] as const) this.gauges.batches.set({ state }, sample.batches[state]);
    this.gauges.checked.set(sample.checkedShare);
    this.gauges.clients.set(sample.clientsConnected);
    this.gauges.dbQueueChunks.set(sample.dbPendingChunks);
    this.gauges.dbQueueBatches.set(sample.batches.writing);
    this.gauges.dbUp.set(sample.dbUp ? 1 : 0);
    this.gauges.idsPerSecond.set(sample.idsPerSecond);
    this.gauges.lastComplete.set(sample.lastCompleteRunAt === null ? 0 : sample.lastCompleteRunAt / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
