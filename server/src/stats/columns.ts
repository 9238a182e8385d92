/**
 * The public shapes of the daily statistics: the columns of
 * `GET /api/stats/daily.csv`, the fields of `daily.json` (the same names, in
 * the same order), and those of the account-age series. The nine columns the
 * issue fixes come first; later additions go after them, never between.
 *
 * daily.json is an array of DailyStatsRow, oldest date first, and within a
 * date xbox, ps, all:
 *
 *   [{ "date": "2026-03-02", "platform": "xbox", "active_accounts": 1234, "battles": 9876,
 *      "new_accounts": 12, "accounts_5plus": 700, "newly_tracked": 0, "span_days": 1,
 *      "complete": true, "battles_per_active_account": 8, "active_1_4": 534, "active_5_9": 300,
 *      "active_10_19": 250, "active_20_49": 140, "active_50plus": 10,
 *      "previous_date": "2026-03-01", "batches": 200, "batches_committed": 200, "batches_failed": 0 }, ...]
 *
 * account-age.json is an array of AccountAgeRow (date, platform, then created_year ascending).
 * In CSV, null is an empty field and booleans are `true`/`false`.
 */
import type { StatsPlatform } from "@wotc/schema/db/daily-stats";

export interface DailyStatsRow {
  /** The crawled date, YYYY-MM-DD (UTC). */
  date: string;
  platform: StatsPlatform;
  /** Accounts whose battles increased since their previous crawl, plus new accounts with battles. */
  active_accounts: number;
  /** Battles those accounts played: the sum of the increases (a new account's battles count whole). */
  battles: number;
  /** First seen on the date and created since the previous crawled date. */
  new_accounts: number;
  /** Active accounts that played at least 5 of those battles. */
  accounts_5plus: number;
  /** First seen on the date but created before (first date, grown range, a batch that failed before); counted nowhere else. */
  newly_tracked: number;
  /** Days since the previous crawled date (2 after a missed day); null on the first date. */
  span_days: number | null;
  /** Every batch of the date and of the previous crawled date committed, none failed. */
  complete: boolean;
  /** battles / active_accounts, rounded half up to 2 decimals; null when no account was active. */
  battles_per_active_account: number | null;
  /** Active accounts by battles played: 1-4, 5-9, 10-19, 20-49, 50+ (they sum to active_accounts). */
  active_1_4: number;
  active_5_9: number;
  active_10_19: number;
  active_20_49: number;
  active_50plus: number;
  previous_date: string | null;
  /** The date's batches by the platform's ID range (`all`: both): planned, committed, set aside as failed. */
  batches: number;
  batches_committed: number;
  batches_failed: number;
}

export const DAILY_COLUMNS = [
  "date",
  "platform",
  "active_accounts",
  "battles",
  "new_accounts",
  "accounts_5plus",
  "newly_tracked",
  "span_days",
  "complete",
  "battles_per_active_account",
  "active_1_4",
  "active_5_9",
  "active_10_19",
  "active_20_49",
  "active_50plus",
  "previous_date",
  "batches",
  "batches_committed",
  "batches_failed",
] as const satisfies readonly (keyof DailyStatsRow)[];

export interface AccountAgeRow {
  date: string;
  platform: StatsPlatform;
  /** UTC year the account was created. */
  created_year: number;
  /** Active accounts of the date created that year (they sum to the date's active_accounts). */
  active_accounts: number;
  battles: number;
  /** The date's completeness, repeated so a chart of this series alone can mark it. */
  complete: boolean;
  span_days: number | null;
}

export const ACCOUNT_AGE_COLUMNS = [
  "date",
  "platform",
  "created_year",
  "active_accounts",
  "battles",
  "complete",
  "span_days",
] as const satisfies readonly (keyof AccountAgeRow)[];

/** A CSV document: the header, then one line per row; RFC 4180 line ends. No field here needs quoting (dates, numbers, platform names). */
export function toCsv<Row, Column extends keyof Row & string>(columns: readonly Column[], rows: readonly Row[]): string {
  const lines = [columns.join(",")];
  for (const row of rows) lines.push(columns.map((column) => csvField(row[column])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  return String(value);
}

/** Keys in column order, so the JSON reads like the CSV. */
export function inColumnOrder<Row, Column extends keyof Row & string>(columns: readonly Column[], row: Row): Pick<Row, Column> {
  const ordered = {} as Pick<Row, Column>;
  for (const column of columns) ordered[column] = row[column];
  return ordered;
}
