import type { AccountAgeRow, DailyStatsRow } from "../../stats/columns.ts";
import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/** Inclusive bounds on the date; either may be left open. */
export interface DateRange {
  from?: string;
  to?: string;
}

/**
 * The stored daily statistics in the public shape (stats/columns.ts), oldest
 * date first and xbox, ps, all within a date. Reads daily_stats only: a few
 * rows a day, whatever the size of the population.
 */
export async function dailyStatsRows(sql: Sql, range: DateRange = {}): Promise<DailyStatsRow[]> {
  const { from, to } = checked(range);
  const rows = await sql<DailyStatsRow[]>`
    select date::text as date, platform, active_accounts, battles::float8 as battles, new_accounts, accounts_5plus,
      newly_tracked, span_days, complete,
      round(battles::numeric / nullif(active_accounts, 0), 2)::float8 as battles_per_active_account,
      active_1_4, active_5_9, active_10_19, active_20_49, active_50plus,
      previous_date::text as previous_date, batches, batches_committed, batches_failed
    from daily_stats
    where (${from}::date is null or date >= ${from}::date) and (${to}::date is null or date <= ${to}::date)
    order by date, array_position(array['xbox', 'ps', 'all'], platform)
  `;
  return [...rows];
}

/** Active accounts by the year they were created, with the date's completeness and span. */
export async function accountAgeRows(sql: Sql, range: DateRange = {}): Promise<AccountAgeRow[]> {
  const { from, to } = checked(range);
  const rows = await sql<AccountAgeRow[]>`
    select y.date::text as date, y.platform, y.created_year, y.active_accounts, y.battles::float8 as battles, d.complete, d.span_days
    from daily_stats_created_year y
    join daily_stats d on d.date = y.date and d.platform = y.platform
    where (${from}::date is null or y.date >= ${from}::date) and (${to}::date is null or y.date <= ${to}::date)
    order by y.date, array_position(array['xbox', 'ps', 'all'], y.platform), y.created_year
  `;
  return [...rows];
}

function checked(range: DateRange): { from: string | null; to: string | null } {
  if (range.from !== undefined) assertRunDate(range.from);
  if (range.to !== undefined) assertRunDate(range.to);
  return { from: range.from ?? null, to: range.to ?? null };
}
