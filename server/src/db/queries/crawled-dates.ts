import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/**
 * The crawled dates: run dates with at least one committed batch. A run row
 * with nothing committed (a server stopped at once, a day on which every batch
 * failed) crawled nothing, so the next date counts from the one before: it
 * says span_days 2, as after a missed day. Read through the small `runs`
 * table with an EXISTS on run_batches' primary key, never a DISTINCT over
 * ~268,000 ledger rows a day.
 */
export async function crawledDates(sql: Sql): Promise<string[]> {
  const rows = await sql<{ date: string }[]>`
    select r.run_date::text as date from runs r
    where exists (select from run_batches b where b.run_date = r.run_date)
    order by r.run_date
  `;
  return rows.map((r) => r.date);
}

/** The crawled date before `date` (p in the statistics' definitions), or null when `date` is the first. */
export async function previousCrawledDate(sql: Sql, date: string): Promise<string | null> {
  assertRunDate(date);
  const [row] = await sql<{ date: string | null }[]>`
    select max(r.run_date)::text as date from runs r
    where r.run_date < ${date}::date and exists (select from run_batches b where b.run_date = r.run_date)
  `;
  return row?.date ?? null;
}

/** The crawled date after `date`, whose figures depend on it (a backfilled earlier day changes its successor's p). */
export async function nextCrawledDate(sql: Sql, date: string): Promise<string | null> {
  assertRunDate(date);
  const [row] = await sql<{ date: string | null }[]>`
    select min(r.run_date)::text as date from runs r
    where r.run_date > ${date}::date and exists (select from run_batches b where b.run_date = r.run_date)
  `;
  return row?.date ?? null;
}

/** Crawled dates that have no daily_stats rows (crawled before the statistics existed, or their computation failed). */
export async function crawledDatesWithoutStats(sql: Sql): Promise<string[]> {
  const rows = await sql<{ date: string }[]>`
    select r.run_date::text as date from runs r
    where exists (select from run_batches b where b.run_date = r.run_date)
      and not exists (select from daily_stats s where s.date = r.run_date)
    order by r.run_date
  `;
  return rows.map((r) => r.date);
}
