/**
 * One day's run from start to end: resume or start the ledger row, lease every
 * uncommitted batch, wait until the helpers have committed them all, close the
 * clients and write the summary.
 */
import type { ServerConfig } from "@wotc/schema/config";
import { HelperPool } from "../db/pool";
import { LeaseBook } from "../plan/lease-book";
import { WorkPlan, type RunRanges } from "../plan/work-plan";
import type { ClientHub } from "../ws/hub";
import { Crawl, type LeasingGate } from "./crawl";
import { progressLine } from "./progress";
import type { RunLedger, RunSummary } from "./ledger";
import type { AfterRunReport } from "../after-run";

export interface RunDayDeps {
  config: ServerConfig;
  hub: ClientHub;
  ledger: RunLedger;
  databaseUrl: string;
  log: (line: string) => void;
  /** Called with the crawl once it exists, so /api/status can show it. */
  onCrawl: (crawl: Crawl | undefined) => void;
  /** Range growth and the Elasticsearch sync: run once every batch is committed, before the run is marked complete. */
  afterRun?: (date: string, summary: RunSummary) => Promise<AfterRunReport>;
  /**
   * Scheduled mode: clients stay connected after the run and are told this
   * while they wait, instead of being sent "done" (which ends them).
   */
  keepClientsWaiting?: string;
  /** The operator's pause and drain (the tracker's controls). */
  gate?: LeasingGate;
}

export interface DayResult {
  date: string;
  /** null when the run was stopped before its end. */
  summary: RunSummary | null;
  seconds: number;
  alreadyComplete: boolean;
  /** The run was stopped before the end (a signal); what was committed stays, the rest is crawled on resume. */
  stopped: boolean;
  after?: AfterRunReport;
}

/** How long a stopping server waits for the DB helpers to write what clients already sent. */
const STOP_DRAIN_SECONDS = 20;

export async function runDay(date: string, deps: RunDayDeps, stop: AbortSignal): Promise<DayResult> {
  const { config, hub, ledger, log } = deps;
  const started = performance.now();
  await ledger.ensurePartitions(date);
  log(`partitions of total_battles and diff_battles ready for ${date} and the day after`);
  const run = await ledger.startOrResume(date, config.ranges as RunRanges);
  if (run.state === "complete") {
    log(`run ${date} is already complete`);
    return { date, summary: await ledger.summary(date), seconds: 0, alreadyComplete: true, stopped: false };
  }
  const plan = new WorkPlan(run.ranges);
  const committed = await ledger.committedBatchIds(date, plan);
  const book = new LeaseBook(plan, committed);
  log(
    run.resumed
      ? `resuming run ${date}: ${book.counts.committed.toLocaleString("en-US")} of ${plan.total.toLocaleString("en-US")} batches already committed`
      : `starting run ${date}: ${plan.total.toLocaleString("en-US")} batches, ${plan.ids.toLocaleString("en-US")} IDs`,
  );

  const crawl = new Crawl(date, book, hub, config, log, deps.gate);
  const pool = new HelperPool({ url: deps.databaseUrl, size: config.server.dbHelpers, events: crawl.poolEvents, onFatal: log });
  await pool.start();
  crawl.connect(pool);
  deps.onCrawl(crawl);
  hub.setWork(crawl);

  const ticker = setInterval(() => crawl.tick(), 100);
  const forgiver = setInterval(() => hub.forgiveStrikes(), 60_000);
  const progress =
    config.server.progressSeconds > 0 ? setInterval(() => log(progressLine(crawl, hub)), config.server.progressSeconds * 1000) : undefined;
  // The signal may have come while the helpers were starting.
  const aborted = stop.aborted
    ? Promise.resolve()
    : new Promise<void>((resolve) => stop.addEventListener("abort", () => resolve(), { once: true }));
  try {
    await Promise.race([crawl.done, aborted]);
  } finally {
    clearInterval(ticker);
    clearInterval(forgiver);
    if (progress) clearInterval(progress);
  }

  if (crawl.state !== "complete") {
    // Stopping mid-run: clients give their leases back by disconnecting; results
    // already accepted are still written, so nothing a client sent is lost.
    hub.setWork(undefined, "the server is stopping");
    hub.closeAll(1001, "server stopping");
    crawl.flushAll();
    if (pool.pending > 0) log(`writing the ${pool.pending} chunks already received before stopping (up to ${STOP_DRAIN_SECONDS} s)`);
    const drained = await Promise.race([pool.drain().then(() => true), Bun.sleep(STOP_DRAIN_SECONDS * 1000).then(() => false)]);
    if (!drained) log(`the database did not take the last ${pool.pending} chunks in time; their batches will be crawled again on resume`);
    await pool.stop();
    deps.onCrawl(undefined);
    const seconds = (performance.now() - started) / 1000;
    // No summary: the database may be what failed, and a stopped run prints none.
    return { date, summary: null, seconds, alreadyComplete: false, stopped: true };
  }

  hub.setWork(undefined, deps.keepClientsWaiting ?? `run ${date} is complete`);
  if (deps.keepClientsWaiting === undefined) hub.broadcast({ type: "done", date });
  await pool.drain();
  await pool.stop();
  const seconds = (performance.now() - started) / 1000;
  const summary = await ledger.summary(date);
  const after = await deps.afterRun?.(date, summary);
  await ledger.finish(date, { summary, errors: crawl.counters.failedBatches + crawl.counters.refusedResults });
  log(progressLine(crawl, hub));
  return { date, summary, seconds, alreadyComplete: false, stopped: false, after };
}
