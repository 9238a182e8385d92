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
 * `run_batches.answered_by`: the token whose answer was written (a liar's
 * batches, crawled again, go to whoever answered them honestly).
 */
export async function leaderboard(sql: Sql, days = 30, limit = 50): Promise<LeaderboardRow[] | null> {
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
