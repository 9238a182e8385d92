import type { CounterColumns } from "@wotc/schema/player";
import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

/** A total_battles or diff_battles row as indexed: column names as in the table. */
export interface BattleRowDocument extends CounterColumns {
  account_id: number;
  date: string;
  console: string;
}

export interface PlayerDocument extends CounterColumns {
  account_id: number;
  nickname: string;
  console: string;
  created_at: string;
  last_battle_time: string | null;
  updated_at: string;
  last_api_pull: string;
  first_seen: string;
  last_changed: string;
}

/**
 * The run date's rows of total_battles or diff_battles, `rowsPerFetch` at a
 * time from a cursor (one day partition, read in its physical order): a day
 * of millions of rows never sits in memory.
 */
export function dayBattleRows(
  sql: Sql,
  table: "total_battles" | "diff_battles",
  runDate: string,
  rowsPerFetch = 2_000,
): AsyncIterable<BattleRowDocument[]> {
  assertRunDate(runDate);
  return sql<BattleRowDocument[]>`
    select account_id, date::text as date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points
    from ${sql(table)} where date = ${runDate}::date
  `.cursor(rowsPerFetch);
}

/** Players inserted or whose battles changed on the run date (players.last_changed), with their latest stats. */
export function dayChangedPlayers(sql: Sql, runDate: string, rowsPerFetch = 2_000): AsyncIterable<PlayerDocument[]> {
  assertRunDate(runDate);
  return sql<PlayerDocument[]>`
    select account_id, nickname, console,
      to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at,
      to_char(last_battle_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_battle_time,
      to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as updated_at,
      battles, spotted, wins, damage_dealt, frags, dropped_capture_points,
      to_char(last_api_pull at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_api_pull,
      first_seen::text as first_seen, last_changed::text as last_changed
    from players where last_changed = ${runDate}::date
  `.cursor(rowsPerFetch);
}
