import type { Sql } from "../client.ts";
import type { RunSummary } from "./run-summary.ts";
import { assertRunDate } from "./run-date.ts";

/** Marks the run complete and keeps its summary (its errors were added as they happened: addRunErrors). */
export async function finishRun(sql: Sql, runDate: string, result: { summary: RunSummary }): Promise<void> {
  assertRunDate(runDate);
  const updated = await sql`
    update runs
    set state = 'complete', finished_at = now(), summary = ${sql.json(result.summary as never)}
    where run_date = ${runDate}::date
  `;
  if (updated.count !== 1) throw new Error(`finishing run ${runDate}: no such run (startOrResumeRun was not called)`);
}
