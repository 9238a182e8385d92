import { PLATFORMS } from "@wotc/schema/player";
import type { RunRanges, RunState } from "@wotc/schema/db/runs";
import { BATCH_SIZE } from "@wotc/schema/wire/messages";
import type { Sql } from "../client.ts";

export interface RecentRun {
  date: string;
  state: RunState;
  startedAt: number;
  finishedAt: number | null;
  batchesTotal: number;
  batchesCommitted: number;
  /** Batches set aside as failed (null while the failed_batches table does not exist). */
  batchesFailed: number | null;
  playersFound: number;
  errors: number;
}

/**
 * The last `limit` runs, newest first, for the dashboard's "last days":
 * completeness from the ledger (committed of the plan's batches), players
 * found, duration. One pass over run_batches grouped by date, limited to
 * the dates shown, so a year of history costs the same as a week.
 */
export async function recentRuns(sql: Sql, limit = 14): Promise<RecentRun[]> {
  // failed_batches arrives with verification; until then there is nothing set aside to count.
  const [{ hasFailed }] = await sql<{ hasFailed: boolean }[]>`select to_regclass('failed_batches') is not null as "hasFailed"`;
  const rows = await sql<{ date: string; state: RunState; ranges: RunRanges; startedAt: Date; finishedAt: Date | null; errors: number; committed: number; found: number; failed: number | null }[]>`
    with shown as (select * from runs order by run_date desc limit ${limit})
    select shown.run_date::text as date, shown.state, shown.ranges, shown.started_at as "startedAt", shown.finished_at as "finishedAt", shown.errors,
           coalesce(b.committed, 0)::int as committed, coalesce(b.found, 0)::float8 as found,
           ${hasFailed ? sql`(select count(*)::int from failed_batches f where f.run_date = shown.run_date)` : sql`null::int`} as failed
    from shown
    left join (
      select run_date, count(*) as committed, sum(found) as found from run_batches
      where run_date in (select run_date from shown) group by run_date
    ) b on b.run_date = shown.run_date
    order by shown.run_date desc
  `;
  return rows.map((row) => ({
    date: row.date,
    state: row.state,
    startedAt: row.startedAt.getTime(),
    finishedAt: row.finishedAt?.getTime() ?? null,
    batchesTotal: PLATFORMS.reduce((sum, p) => sum + Math.ceil((row.ranges[p].max - row.ranges[p].min) / BATCH_SIZE), 0),
    batchesCommitted: row.committed,
    batchesFailed: row.failed,
    playersFound: row.found,
    errors: row.errors,
  }));
}
