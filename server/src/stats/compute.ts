/**
 * The daily statistics of a date: works out p (the previous crawled date) and
 * the day's completeness from the run ledger, then has PostgreSQL compute and
 * store the figures (db/queries/compute-daily-stats.ts).
 *
 * `complete` is "every batch of d committed and none failed, and the same for
 * p (or d is the first date)". Only p's own batches count, not p's own
 * completeness: an account whose batch failed on p shows the play of two days
 * on d, so d is incomplete; on the date after d it was crawled the day before,
 * and that date is complete again. (Read recursively, one failed batch would
 * make every later day incomplete for ever.)
 */
import type { Sql } from "../db/client";
import { computeDailyStats, type ComputedRow } from "../db/queries/compute-daily-stats";
import type { PlayerFigures } from "../db/queries/run-summary";
import type { Platform } from "@wotc/schema/player";
import { crawledDates, nextCrawledDate, previousCrawledDate } from "../db/queries/crawled-dates";
import { dayLedger } from "../db/queries/day-ledger";
import { daysBetween } from "./dates";

export interface DayStats {
  date: string;
  previousDate: string | null;
  complete: boolean;
  rows: ComputedRow[];
  /** The run summary's player figures, counted in the same pass. */
  players: Record<Platform, PlayerFigures>;
  seconds: number;
}

export async function computeDay(sql: Sql, date: string): Promise<DayStats> {
  const started = performance.now();
  const previousDate = await previousCrawledDate(sql, date);
  const [ledger, previousLedger] = await Promise.all([dayLedger(sql, date), previousDate ? dayLedger(sql, previousDate) : undefined]);
  const complete = ledger.allCommitted && (previousLedger?.allCommitted ?? true);
  const spanDays = previousDate ? daysBetween(previousDate, date) : null;
  const { rows, players } = await computeDailyStats(sql, { date, previousDate, spanDays, complete, ledger: ledger.platforms });
  return { date, previousDate, complete, rows, players, seconds: (performance.now() - started) / 1000 };
}

/**
 * After a run: the date, and the crawled date after it if there is one (a
 * backfilled earlier date is that date's new p: its span, new accounts and
 * completeness change).
 */
export async function computeAfterRun(sql: Sql, date: string): Promise<DayStats[]> {
  const done = [await computeDay(sql, date)];
  const next = await nextCrawledDate(sql, date);
  if (next) done.push(await computeDay(sql, next));
  return done;
}

/** Every crawled date, oldest first (`bun run server stats recompute`). */
export async function recomputeAll(sql: Sql, onDay: (day: DayStats) => void = () => {}): Promise<DayStats[]> {
  const done: DayStats[] = [];
  for (const date of await crawledDates(sql)) {
    const day = await computeDay(sql, date);
    onDay(day);
    done.push(day);
  }
  return done;
}

const n = (value: number) => value.toLocaleString("en-US");

/** `statistics 2026-03-02 (complete, 1 day after 2026-03-01): xbox active 1,234, battles 9,876, new 12, newly tracked 0; ps ...` */
export function describeDayStats(day: DayStats): string {
  const span = day.previousDate ? `${daysText(day.previousDate, day.date)} after ${day.previousDate}` : "first crawled date";
  const platforms = day.rows
    .filter((r) => r.platform !== "all")
    .map((r) => `${r.platform} active ${n(r.active_accounts)}, battles ${n(r.battles)}, new ${n(r.new_accounts)}, newly tracked ${n(r.newly_tracked)}`)
    .join("; ");
  return `statistics ${day.date} (${day.complete ? "complete" : "incomplete"}, ${span}) in ${day.seconds.toFixed(1)} s: ${platforms}`;
}

function daysText(from: string, to: string): string {
  const days = daysBetween(from, to);
  return days === 1 ? "1 day" : `${days} days`;
}
