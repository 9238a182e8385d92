/** WG player objects to the compact rows the server ingests (order: schema/player.ts). */
import type { PlayerRow } from "@wotc/schema/player";
import type { WgPlayer } from "@wotc/schema/wg";

export function encodePlayer(player: WgPlayer): PlayerRow {
  const all = player.statistics.all;
  return [
    player.account_id,
    player.nickname,
    player.created_at,
    // WG sends null for accounts that never fought; the row type has no null
    player.last_battle_time ?? 0,
    player.updated_at,
    all.battles,
    all.spotted,
    all.wins,
    all.damage_dealt,
    all.frags,
    all.dropped_capture_points,
  ];
}

/** Null entries (IDs with no account) are skipped: the row list holds only players that exist. */
export function encodePlayers(players: Iterable<WgPlayer | null>): PlayerRow[] {
  const rows: PlayerRow[] = [];
  for (const player of players) if (player !== null) rows.push(encodePlayer(player));
  return rows;
}

/** The IDs of a batch's half-open range `[start, end)`. */
export function expandRange(start: number, end: number): number[] {
  const ids = new Array<number>(end - start);
  for (let i = 0; i < ids.length; i++) ids[i] = start + i;
  return ids;
}
