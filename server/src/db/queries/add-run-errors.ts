import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/** Counts batches handed back as failed as they happen, so a restart does not forget them. */
export async function addRunErrors(sql: Sql, runDate: string, count: number): Promise<void> {
  assertRunDate(runDate);
  await sql`update runs set errors = errors + ${count} where run_date = ${runDate}::date`;
}
