import type { Platform } from "@wotc/schema/player";
import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

export interface FailedBatch {
  platform: Platform;
  start: number;
  end: number;
  reason: string;
  attempts: number;
}

/** Sets a batch aside as failed (again: the reason and attempts are replaced). */
export async function recordFailedBatch(sql: Sql, runDate: string, batch: FailedBatch): Promise<void> {
  assertRunDate(runDate);
  await sql`
    insert into failed_batches (run_date, platform, start, "end", reason, attempts)
    values (${runDate}::date, ${batch.platform}, ${batch.start}, ${batch.end}, ${batch.reason.slice(0, 1000)}, ${batch.attempts})
    on conflict (run_date, platform, start) do update set reason = excluded.reason, attempts = failed_batches.attempts + excluded.attempts, failed_at = now()`;
}

export async function failedBatches(sql: Sql, runDate: string): Promise<FailedBatch[]> {
  assertRunDate(runDate);
  const rows = await sql<FailedBatch[]>`
    select platform, start, "end", reason, attempts from failed_batches where run_date = ${runDate}::date order by platform, start`;
  return [...rows];
}
