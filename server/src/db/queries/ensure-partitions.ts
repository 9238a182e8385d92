import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/**
 * Creates the total_battles/diff_battles partitions for the run date and the
 * next UTC day, if missing. Call at server start and before each day's run:
 * a row for a day without a partition fails the whole ingest. The next day is
 * created too so that a run crossing midnight, or a run started just after it,
 * never meets a missing partition.
 */
export async function ensurePartitions(sql: Sql, runDate: string): Promise<void> {
  assertRunDate(runDate);
  await sql`select create_day_partitions(${runDate}::date), create_day_partitions(${runDate}::date + 1)`;
}
