/**
 * The page's view of the statistics: one entry per crawled date with its
 * three platform rows and what marks it (incomplete, covering several days),
 * built once from daily.json / data.js.
 */
import type { AccountAgeRow, DailyStatsRow } from "../../stats/columns";

export const PLATFORMS = ["xbox", "ps", "all"] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface Day {
  date: string;
  /** UTC midnight of the date, in seconds (uPlot's time axis). */
  t: number;
  complete: boolean;
  /** Days since the previous crawled date (null on the first date). */
  span: number | null;
  previous: string | null;
  /** Batches of the date set aside as failed (xbox and ps together). */
  batchesFailed: number;
  rows: Record<Platform, DailyStatsRow | undefined>;
  /** Active accounts by creation year, per platform. */
  ages: AccountAgeRow[];
}

export const secondsOf = (date: string): number => Date.parse(`${date}T00:00:00Z`) / 1000;

export function toDays(daily: readonly DailyStatsRow[], accountAge: readonly AccountAgeRow[]): Day[] {
  const byDate = new Map<string, Day>();
  for (const row of daily) {
    let day = byDate.get(row.date);
    if (!day) {
      day = { date: row.date, t: secondsOf(row.date), complete: row.complete, span: row.span_days, previous: row.previous_date, batchesFailed: 0, rows: { xbox: undefined, ps: undefined, all: undefined }, ages: [] };
      byDate.set(row.date, day);
    }
    day.rows[row.platform] = row;
    if (row.platform === "all") day.batchesFailed = row.batches_failed;
  }
  for (const row of accountAge) byDate.get(row.date)?.ages.push(row);
  return [...byDate.values()].sort((a, b) => a.t - b.t);
}

/** Covers more than one day: the crawl before it was missed. */
export const spansDays = (day: Day): boolean => (day.span ?? 1) > 1;

/** "incomplete, covers 2 days": what marks the day, or "" for a plain one. */
export function dayMarks(day: Day): string {
  const marks: string[] = [];
  if (day.span === null) marks.push("first crawled date");
  if (spansDays(day)) marks.push(`covers ${day.span} days`);
  if (!day.complete) marks.push("incomplete");
  return marks.join(", ");
}

/** A sentence for a day's heading: why it is marked, in full. */
export function explainDay(day: Day): string[] {
  const lines: string[] = [];
  if (day.span === null) lines.push("The first crawled date: every account is newly tracked, so no activity is counted.");
  if (spansDays(day)) lines.push(`Covers ${day.span} days: the previous crawl was on ${day.previous}, so its figures hold the play of every day since.`);
  if (!day.complete) {
    lines.push(
      day.batchesFailed > 0
        ? `Incomplete: ${day.batchesFailed} batch${day.batchesFailed === 1 ? " was" : "es were"} set aside as failed on this date, so their accounts are missing.`
        : `Incomplete: a batch failed on the previous crawled date (${day.previous}): its accounts' play since the crawl before that is counted here, and those created meanwhile count as newly tracked.`,
    );
  }
  return lines;
}
