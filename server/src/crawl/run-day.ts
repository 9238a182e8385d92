/**
 * One day's run from start to end: resume or start the ledger row, lease every
 * uncommitted batch (and those set aside as failed before), wait until every
 * batch is committed or set aside, close the clients and write the summary.
 */
import type { ServerConfig } from "@wotc/schema/config";
import type { Batch } from "@wotc/schema/wire/messages";
import { HelperPool } from "../db/pool";
import { isTransientDbError, describeDbError } from "../db/db-errors";
import { LeaseBook } from "../plan/lease-book";
import { WorkPlan, type RunRanges } from "../plan/work-plan";
import type { ClientHub } from "../ws/hub";
import type { TokenStore } from "../tokens";
import { KnownAccounts } from "../verify/known-accounts";
import { TrustBook, type TokenFigures } from "../verify/trust-book";
import { Crawl, type LeasingGate } from "./crawl";
import { progressLine } from "./progress";
import { Provenance } from "./provenance";
import { RunErrors } from "./run-errors";
import type { FailedBatch, RunLedger, RunSummary } from "./ledger";
import type { AfterRunReport } from "../after-run";
import { PLATFORMS } from "@wotc/schema/player";

export interface RunDayDeps {
  config: ServerConfig;
  hub: ClientHub;
  ledger: RunLedger;
  /** Where verdicts about tokens go: agreements, promotions, suspensions. */
  tokens: Pick<TokenStore, "suspend" | "recordVerdicts">;
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
  random?: () => number;
  /** The operator's pause and drain (the tracker's controls). */
  gate?: LeasingGate;
}

/** What a run's verification did, for the summary. */
export interface VerificationReport {
  committed: number;
  /** Confirmed by another token's answer (agreed), or written again from agreeing answers (repaired). */
  checked: number;
  unchecked: number;
  repaired: number;
  operator: number;
  skipped: number;
  /** Answers to fresh batches, and answers that were second opinions (checks, third answers, later checks). */
  answers: { fresh: number; checks: number };
  tokens: TokenFigures[];
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
  /** Every error of the run by kind, including those before a restart. */
  errors: Record<string, number>;
  /** Batches set aside as failed (the next run tries them again). */
  failed: FailedBatch[];
  verification?: VerificationReport;
}

/** How long a stopping server waits for the DB helpers to write what clients already sent. */
const STOP_DRAIN_SECONDS = 20;
/** How often verdicts about tokens and error counts go to the database. */
const FLUSH_MS = 2_000;

export async function runDay(date: string, deps: RunDayDeps, stop: AbortSignal): Promise<DayResult> {
  const { config, hub, ledger, log } = deps;
  const started = performance.now();
  const retried = <T>(what: string, fn: () => Promise<T>) => retryTransient(what, fn, stop, log);
  await retried("creating the day's partitions", () => ledger.ensurePartitions(date));
  log(`partitions of total_battles and diff_battles ready for ${date} and the day after`);
  const run = await retried("starting the run", () => ledger.startOrResume(date, config.ranges as RunRanges));
  const plan = new WorkPlan(run.ranges);
  const failedBefore = await retried("reading the failed batches", () => ledger.failedBatchIds(date, plan));
  if (run.state === "complete" && failedBefore.length === 0) {
    log(`run ${date} is already complete`);
    return { date, summary: await ledger.summary(date), seconds: 0, alreadyComplete: true, stopped: false, errors: run.errorCounts, failed: [] };
  }
  const committed = await retried("reading the committed batches", () => ledger.committedBatchIds(date, plan));
  const book = new LeaseBook(plan, committed);
  if (run.state === "complete") log(`run ${date} completed with ${failedBefore.length} batches set aside as failed: trying them again`);
  else {
    log(
      run.resumed
        ? `resuming run ${date}: ${book.counts.committed.toLocaleString("en-US")} of ${plan.total.toLocaleString("en-US")} batches already committed`
        : `starting run ${date}: ${plan.total.toLocaleString("en-US")} batches, ${plan.ids.toLocaleString("en-US")} IDs`,
    );
  }
  const provenance = new Provenance(plan.total);
  const known = new KnownAccounts(plan.total);
  const loadStarted = performance.now();
  await retried("reading the known accounts", () => Promise.all([ledger.loadProvenance(date, plan, provenance), ledger.loadKnownAccounts(plan, known)]));
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  if (loadSeconds > 2) log(`read the accounts already known in ${loadSeconds.toFixed(1)} s`);

  const errors = new RunErrors(run.errorCounts);
  const trust = new TrustBook({ ...config.verification, random: deps.random ?? Math.random });
  const crawl = new Crawl({
    date,
    book,
    config,
    log,
    known,
    trust,
    provenance,
    errors,
    previouslyFailed: new Set(failedBefore),
    gate: deps.gate,
    random: deps.random,
    suspend: (token, reason) => {
      hub.dropTokenName(token, `token suspended: ${reason}`);
      deps.tokens.suspend(token, reason).catch((error) => log(`could not record the suspension of ${token} (${describeDbError(error)}); its clients stay refused until this server stops`));
    },
    recordFailed: (batch: Batch, reason, attempts) => void ledger.recordFailed(date, batch, reason, attempts).catch((error) => log(`could not record failed batch ${batch.id}: ${describeDbError(error)}`)),
    recordChecked: (batch, _answeredBy, checkedBy) => void ledger.recordChecked(date, batch, checkedBy).catch(() => undefined),
  });
  const pool = new HelperPool({ url: deps.databaseUrl, size: config.server.dbHelpers, events: crawl.poolEvents, onFatal: log });
  await pool.start();
  crawl.connect(pool);
  deps.onCrawl(crawl);
  hub.setWork(crawl);

  const flush = async () => {
    const verdicts = trust.drain();
    const counts = errors.drain();
    try {
      await deps.tokens.recordVerdicts(verdicts);
    } catch {
      trust.restore(verdicts);
    }
    try {
      await ledger.addErrors(date, counts);
    } catch {
      errors.restore(counts);
    }
  };
  const ticker = setInterval(() => crawl.tick(), 100);
  const forgiver = setInterval(() => hub.forgiveStrikes(), 60_000);
  const flusher = setInterval(() => void flush(), FLUSH_MS);
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
    clearInterval(flusher);
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
    await flush().catch(() => undefined);
    deps.onCrawl(undefined);
    const seconds = (performance.now() - started) / 1000;
    // No summary: the database may be what failed, and a stopped run prints none.
    return { date, summary: null, seconds, alreadyComplete: false, stopped: true, errors: errors.all(), failed: [] };
  }

  hub.setWork(undefined, deps.keepClientsWaiting ?? `run ${date} is complete`);
  if (deps.keepClientsWaiting === undefined) hub.broadcast({ type: "done", date });
  await pool.drain();
  await pool.stop();
  await flush();
  const seconds = (performance.now() - started) / 1000;
  // The ledger's figures first (range growth needs the highest ids); the player figures come
  // from the day's statistics, which count them in their own pass, or else from the summary's own.
  const notYet = { newPlayers: 0, activePlayers: 0, battlesPlayed: 0 };
  let summary = await retried("summing up the run", () => ledger.summary(date, { xbox: notYet, ps: notYet }));
  const failed = await retried("reading the failed batches", () => ledger.failedBatches(date));
  const after = await deps.afterRun?.(date, summary);
  const counted = after?.stats.days.find((day) => day.date === date)?.players;
  if (counted) for (const platform of PLATFORMS) summary[platform] = { ...summary[platform], ...counted[platform] };
  else summary = await retried("summing up the run", () => ledger.summary(date));
  await retried("finishing the run", () => ledger.finish(date, { summary }));
  log(progressLine(crawl, hub));
  const counts = provenance.counts();
  const verification: VerificationReport = {
    committed: book.counts.committed,
    checked: counts.agreed + counts.repaired,
    unchecked: counts.unchecked,
    repaired: counts.repaired,
    operator: counts.operator,
    skipped: counts.skipped,
    answers: { fresh: crawl.counters.freshAnswers, checks: crawl.counters.checkAnswers },
    tokens: trust.figures(),
  };
  return { date, summary, seconds, alreadyComplete: false, stopped: false, after, errors: errors.all(), failed, verification };
}

/**
 * Runs `fn`, retrying while the database is briefly away (a restart, a
 * failover): a run's start and end must not end the server in scheduled
 * mode. Other errors, and a stop, end it.
 */
export async function retryTransient<T>(what: string, fn: () => Promise<T>, stop: AbortSignal, log: (line: string) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isTransientDbError(error) || stop.aborted) throw error;
      const waitMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
      if (attempt === 1 || attempt % 10 === 0) log(`${what}: the database is unavailable (${describeDbError(error)}); retrying in ${Math.round(waitMs / 1000)} s`);
      await Bun.sleep(waitMs);
    }
  }
}
