/**
 * The crawler's tables read back in the oracle's shape (unix seconds, numbers),
 * so an end-to-end test can compare them row for row.
 */
import type postgres from "postgres";
import type { DayRow, PlayerDbRow } from "./wg-sim/oracle";

export interface DbSnapshot {
  players: PlayerDbRow[];
  totalBattles: DayRow[];
  diffBattles: DayRow[];
}

export async function readSnapshot(sql: postgres.Sql): Promise<DbSnapshot> {
  const players = await sql<PlayerDbRow[]>`
    SELECT account_id::float8 AS account_id, nickname, console,
           extract(epoch FROM created_at)::float8 AS created_at,
           coalesce(extract(epoch FROM last_battle_time), 0)::float8 AS last_battle_time,
           extract(epoch FROM updated_at)::float8 AS updated_at,
           battles::float8 AS battles, spotted::float8 AS spotted, wins::float8 AS wins,
           damage_dealt::float8 AS damage_dealt, frags::float8 AS frags,
           dropped_capture_points::float8 AS dropped_capture_points
    FROM players ORDER BY account_id`;
  const day = (table: string) => sql<DayRow[]>`
    SELECT account_id::float8 AS account_id, to_char(date, 'YYYY-MM-DD') AS date, console,
           battles::float8 AS battles, spotted::float8 AS spotted, wins::float8 AS wins,
           damage_dealt::float8 AS damage_dealt, frags::float8 AS frags,
           dropped_capture_points::float8 AS dropped_capture_points
    FROM ${sql(table)} ORDER BY date, account_id`;
  return {
    players: [...players],
    totalBattles: [...(await day("total_battles"))],
    diffBattles: [...(await day("diff_battles"))],
  };
}

/** The first differing rows of two tables, for a readable failure; empty when equal. */
export function firstDifferences<T>(actual: T[], expected: T[], limit = 5): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`row count: ${actual.length} in the database, ${expected.length} expected`);
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n && out.length < limit; i++) {
    const a = JSON.stringify(actual[i]);
    const e = JSON.stringify(expected[i]);
    if (a !== e) out.push(`row ${i}: database ${a}\n         expected ${e}`);
  }
  return out;
}
