/**
 * The crawling part of a tracker: today's (or the given date's) run, or in
 * scheduled mode (`serve`) one run each day, each followed by its summary.
 * Resolves when the day is done or `stop` aborts.
 */
import type { ServerConfig } from "@wotc/schema/config";
import type { Crawl, LeasingGate } from "../crawl/crawl";
import { runDay, type DayResult, type RunDayDeps } from "../crawl/run-day";
import { formatSummary } from "../crawl/summary";
import type { RunLedger } from "../crawl/ledger";
import { afterRun, afterRunFailed, describeAfterRun } from "../after-run";
import { DailySchedule, serveDaily, type Clock } from "../schedule";
import type { Sql } from "../db/client";
import type { ClientHub } from "../ws/hub";
import type { LogSink } from "../log/log-sink";
import type { TokenStore } from "../tokens";

export interface RunReport {
  date: string;
  result: DayResult;
  /** The summary as printed. */
  text: string;
}

export interface DayLoopDeps {
  config: ServerConfig;
  /** Where range growth writes the new max; undefined when the config came as an object. */
  configPath: string | undefined;
  sql: Sql;
  databaseUrl: string;
  hub: ClientHub;
  ledger: RunLedger;
  /** Where verification's verdicts about tokens go. */
  tokens: Pick<TokenStore, "suspend" | "recordVerdicts">;
  log: (line: string) => void;
  sink: LogSink;
  clock: Clock;
  gate: LeasingGate;
  /** The current crawl changed (a run started, or a stopped one ended). */
  onCrawl(crawl: Crawl | undefined): void;
  onRunComplete(report: RunReport): void;
  /** Scheduled mode waits between runs: why, and the signal that ends the wait early (run now). */
  onWaiting(reason: string): void;
  wake(): AbortSignal;
}

export interface DayLoopResult {
  stopped: boolean;
  /** Growth or the Elasticsearch sync needs the operator (the summary says what). */
  afterRunTrouble: boolean;
  runs: RunReport[];
}

export async function runDays(deps: DayLoopDeps, mode: { serve: boolean; date: string | undefined }, stop: AbortSignal): Promise<DayLoopResult> {
  const { config, hub, log } = deps;
  const runs: RunReport[] = [];
  let afterRunTrouble = false;
  const dayDeps: RunDayDeps = {
    config,
    hub,
    ledger: deps.ledger,
    tokens: deps.tokens,
    databaseUrl: deps.databaseUrl,
    log,
    gate: deps.gate,
    onCrawl: (c) => deps.onCrawl(c),
    // Without a file the tracker turned growth off at start (growth.margin 0), so the path is never opened.
    afterRun: (day, summary) => afterRun({ configPath: deps.configPath ?? "(no config file)", config, sql: deps.sql, log }, day, summary),
  };
  // The hub outlives runs in --serve mode: each summary counts only its own run's errors.
  let hubCountersBefore = { ...hub.counters };
  const report = (result: DayResult) => {
    if (result.stopped || !result.summary) return;
    const after = result.after ? describeAfterRun(result.after) : [];
    const errors = { ...errorCounts(hub, hubCountersBefore), ...result.errors };
    const text = formatSummary(result.date, result.summary, result.seconds, errors, { afterRun: after, verification: result.verification, failed: result.failed });
    deps.sink.report(text, {
      event: "run complete",
      date: result.date,
      seconds: result.seconds,
      summary: result.summary,
      errors,
      afterRun: after,
      verification: result.verification,
      failed: result.failed,
    });
    hubCountersBefore = { ...hub.counters };
    if (result.after && afterRunFailed(result.after)) afterRunTrouble = true;
    const runReport = { date: result.date, result, text };
    runs.push(runReport);
    deps.onRunComplete(runReport);
  };

  if (!mode.serve) {
    const result = await runDay(mode.date ?? new Date(deps.clock.now()).toISOString().slice(0, 10), dayDeps, stop);
    report(result);
    return { stopped: result.stopped, afterRunTrouble, runs };
  }
  await serveDaily(
    {
      clock: deps.clock,
      schedule: new DailySchedule(config.schedule.time),
      waiting: (reason) => {
        hub.setWork(undefined, reason);
        deps.onWaiting(reason);
      },
      wake: deps.wake,
      log,
      runOne: async (day, waitReason) => {
        const result = await runDay(day, { ...dayDeps, keepClientsWaiting: waitReason }, stop);
        report(result);
        return result;
      },
    },
    mode.date,
    stop,
  );
  return { stopped: true, afterRunTrouble, runs };
}

/** The hub's own counts for this run (the crawl's come with the run's result, restarts included). */
function errorCounts(hub: ClientHub, before: ClientHub["counters"]): Record<string, number> {
  return {
    "invalid messages": hub.counters.invalidMessages - before.invalidMessages,
    "dropped clients": hub.counters.droppedClients - before.droppedClients,
  };
}
