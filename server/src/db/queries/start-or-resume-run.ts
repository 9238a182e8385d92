import type { RunRanges, RunState } from "@wotc/schema/db/runs";
import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

export interface Run {
  runDate: string;
  state: RunState;
  /** The plan fixed when the run first started; a resumed run keeps it even if the config changed. */
  ranges: RunRanges;
  startedAt: Date;
  finishedAt: Date | null;
  errors: number;
  /** The errors by kind recorded so far (a resumed run goes on counting from them). */
  errorCounts: Record<string, number>;
  /** true when the row already existed (a restart on the same day). */
  resumed: boolean;
}

/** Creates the run row for runDate with these ranges, or returns the existing one unchanged. */
export async function startOrResumeRun(sql: Sql, runDate: string, ranges: RunRanges): Promise<Run> {
  assertRunDate(runDate);
  const [row] = await sql<Run[]>`
    with inserted as (
      insert into runs (run_date, state, ranges) values (${runDate}::date, 'running', ${sql.json(ranges)})
      on conflict (run_date) do nothing
      returning *
    )
    select run_date::text as "runDate", state, ranges, started_at as "startedAt", finished_at as "finishedAt", errors, error_counts as "errorCounts", false as resumed
    from inserted
    union all
    select run_date::text, state, ranges, started_at, finished_at, errors, error_counts, true
    from runs
    where run_date = ${runDate}::date and not exists (select from inserted)
  `;
  if (!row) throw new Error(`run ${runDate}: neither inserted nor found (was it deleted concurrently?)`);
  return row;
}
