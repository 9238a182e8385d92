import { PLATFORMS, type Platform } from "@wotc/schema/player";
import { BATCH_SIZE } from "@wotc/schema/wire/messages";
import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/** A platform's batches on a run date, by its ID range. */
export interface LedgerCounts {
  /** Batches in the run's plan (its ranges, fixed when it started, cut into BATCH_SIZE IDs). */
  batches: number;
  /** Batches in run_batches: their rows are written. */
  committed: number;
  /** Batches in failed_batches: set aside as failed so the run could end. */
  failed: number;
}

export interface DayLedger {
  platforms: Record<Platform, LedgerCounts>;
  /** Every planned batch committed and none failed. False when the run row is missing (the plan is unknown). */
  allCommitted: boolean;
}

/**
 * How much of a day's plan was written, for the statistics' `complete`.
 *
 * failed_batches is the lead's table (issue 11); until its migration is on
 * main a database may not have it, and then no batch has failed.
 */
export async function dayLedger(sql: Sql, date: string): Promise<DayLedger> {
  assertRunDate(date);
  const [planned, committed, failed] = await Promise.all([
    sql<{ platform: Platform; batches: number }[]>`
      select k.platform, ceil(((k.range ->> 'max')::numeric - (k.range ->> 'min')::numeric) / ${BATCH_SIZE})::int as batches
      from runs r cross join jsonb_each(r.ranges) as k(platform, range)
      where r.run_date = ${date}::date
    `,
    sql<{ platform: Platform; n: number }[]>`
      select platform, count(*)::int as n from run_batches where run_date = ${date}::date group by platform
    `,
    failedBatchCounts(sql, date),
  ]);
  const platforms = Object.fromEntries(PLATFORMS.map((p) => [p, { batches: 0, committed: 0, failed: 0 }])) as Record<Platform, LedgerCounts>;
  for (const row of planned) if (row.platform in platforms) platforms[row.platform].batches = row.batches;
  for (const row of committed) if (row.platform in platforms) platforms[row.platform].committed = row.n;
  for (const row of failed) if (row.platform in platforms) platforms[row.platform].failed = row.n;
  const allCommitted =
    planned.length > 0 && PLATFORMS.every((p) => platforms[p].committed >= platforms[p].batches && platforms[p].failed === 0);
  return { platforms, allCommitted };
}

async function failedBatchCounts(sql: Sql, date: string): Promise<{ platform: Platform; n: number }[]> {
  const [table] = await sql<{ present: boolean }[]>`select to_regclass('failed_batches') is not null as present`;
  if (!table?.present) return [];
  return sql<{ platform: Platform; n: number }[]>`
    select platform, count(*)::int as n from failed_batches where run_date = ${date}::date group by platform
  `;
}
