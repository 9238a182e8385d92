import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/** Accounts found so far in a run's committed batches: where the dashboard's count starts when a run is resumed. */
export async function playersFound(sql: Sql, runDate: string): Promise<number> {
  assertRunDate(runDate);
  const [row] = await sql<{ found: number }[]>`
    select coalesce(sum(found), 0)::float8 as found from run_batches where run_date = ${runDate}::date
  `;
  return row?.found ?? 0;
}
