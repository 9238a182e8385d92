import type { Sql } from "../client.ts";

export interface LeaderboardRow {
  name: string;
  batches: number;
  ids: number;
  days: number;
  lastDate: string;
}

/**
 * Who answered the most over the last `days` days, from the ledger's
 * `run_batches.answered_by` (the token name). Returns null while that column
 * does not exist yet (it arrives with verification): the dashboard then
 * shows the tallies this tracker kept in memory instead.
 */
export async function leaderboard(sql: Sql, days = 30, limit = 50): Promise<LeaderboardRow[] | null> {
  const [{ available }] = await sql<{ available: boolean }[]>`
    select exists (select from information_schema.columns where table_name = 'run_batches' and column_name = 'answered_by') as available
  `;
  if (!available) return null;
  return sql<LeaderboardRow[]>`
    select answered_by as name, count(*)::int as batches, sum("end" - start)::float8 as ids,
           count(distinct run_date)::int as days, max(run_date)::text as "lastDate"
    from run_batches
    where run_date > (now() at time zone 'UTC')::date - ${days}::int and answered_by is not null
    group by answered_by
    order by ids desc, name
    limit ${limit}
  `;
}
