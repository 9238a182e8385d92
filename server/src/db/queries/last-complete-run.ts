import type { Sql } from "../client.ts";

/** When the latest complete run finished (ms since the epoch), or null: for the "last complete run" metric operators alert on. */
export async function lastCompleteRun(sql: Sql): Promise<number | null> {
  const [row] = await sql<{ finishedAt: Date | null }[]>`
    select max(finished_at) as "finishedAt" from runs where state = 'complete'
  `;
  return row?.finishedAt?.getTime() ?? null;
}
