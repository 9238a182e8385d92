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
 * How much of a day's plan was written, for the statistics' `complete`. A
 * batch set aside as failed keeps its failed_batches row until a later run of
 * the same date commits it; then the date's statistics are computed again
 * and it is complete.
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
    sql<{ platform: Platform; n: number }[]>`
      select platform, count(*)::int as n from failed_batches where run_date = ${date}::date group by platform
    `,
  ]);
  const platforms = Object.fromEntries(PLATFORMS.map((p) => [p, { batches: 0, committed: 0, failed: 0 }])) as Record<Platform, LedgerCounts>;
  for (const row of planned) if (row.platform in platforms) platforms[row.platform].batches = row.batches;
  for (const row of committed) if (row.platform in platforms) platforms[row.platform].committed = row.n;
  for (const row of failed) if (row.platform in platforms) platforms[row.platform].failed = row.n;
  const allCommitted =
    planned.length > 0 && PLATFORMS.every((p) => platforms[p].committed >= platforms[p].batches && platforms[p].failed === 0);
  return { platforms, allCommitted };
}
