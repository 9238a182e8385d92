/** WG player objects to the compact rows the server ingests (order and checks: schema/player.ts). */
import type { PlayerRow } from "@wotc/schema/player";
import { describeWgPlayerIssue, wgPlayerRow } from "@wotc/schema/player-code";

/**
 * The row for one WG player object (null last_battle_time becomes 0: the row
 * type has no null). Throws, naming the field, when the object is malformed;
 * the WG caller uses wgPlayerRow directly and retries such answers instead.
 */
export function encodePlayer(player: unknown): PlayerRow {
  const row = wgPlayerRow(player);
  if (row) return row;
  const issue = describeWgPlayerIssue(player);
  throw new Error(`malformed WG player object: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "unknown problem"}`);
}

/** The IDs of a batch's half-open range `[start, end)`. */
export function expandRange(start: number, end: number): number[] {
  const ids = new Array<number>(end - start);
  for (let i = 0; i < ids.length; i++) ids[i] = start + i;
  return ids;
}
