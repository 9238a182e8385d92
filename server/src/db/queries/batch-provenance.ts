import type { CheckState } from "@wotc/schema/db/run-batches";
import type { Platform } from "@wotc/schema/player";
import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

export interface StoredProvenance {
  platform: Platform;
  start: number;
  answeredBy: string | null;
  checkState: CheckState | null;
  answerHash: string | null;
  committedAt: number;
}

/** Who answered each committed batch of the run and how it was checked, for a resumed run. */
export async function batchProvenance(sql: Sql, runDate: string): Promise<StoredProvenance[]> {
  assertRunDate(runDate);
  const rows = await sql<StoredProvenance[]>`
    select platform, start, answered_by as "answeredBy", check_state as "checkState", answer_hash as "answerHash",
           (extract(epoch from committed_at) * 1000)::float8 as "committedAt"
    from run_batches where run_date = ${runDate}::date and answered_by is not null`;
  return [...rows];
}

/** A later check confirmed the batch's committed answer. */
export async function markChecked(sql: Sql, runDate: string, platform: Platform, start: number, checkedBy: string[]): Promise<void> {
  assertRunDate(runDate);
  await sql`
    update run_batches set check_state = 'agreed', checked_by = ${checkedBy.join(",") || null}
    where run_date = ${runDate}::date and platform = ${platform} and start = ${start}`;
}
