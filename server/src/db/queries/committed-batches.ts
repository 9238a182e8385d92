import { PLATFORMS, type Platform } from "@wotc/schema/player";
import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/** Per platform, the start ids of the run's committed batches, ascending. A full run has ~268,000. */
export type CommittedBatches = Record<Platform, Float64Array>;

export async function committedBatches(sql: Sql, runDate: string): Promise<CommittedBatches> {
  assertRunDate(runDate);
  // one text value per platform instead of one row object per batch
  const rows = await sql<{ platform: Platform; starts: string }[]>`
    select platform, string_agg(start::text, ',' order by start) as starts
    from run_batches
    where run_date = ${runDate}::date
    group by platform
  `;
  const result = Object.fromEntries(PLATFORMS.map((p) => [p, new Float64Array(0)])) as CommittedBatches;
  for (const row of rows) result[row.platform] = Float64Array.from(row.starts.split(","), Number);
  return result;
}

export function isCommitted(committed: CommittedBatches, platform: Platform, start: number): boolean {
  const starts = committed[platform];
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const value = starts[mid]!;
    if (value === start) return true;
    if (value < start) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
