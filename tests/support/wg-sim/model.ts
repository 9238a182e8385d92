/**
 * The simulated WG world as the rest of the tests see it: for a seed, an
 * account ID and a UTC day, the player object WG would return, or null.
 */
import type { Platform, PlayerRow } from "@wotc/schema/player";
import { playerObject, playerRow } from "./player-object.ts";
import { type World, WorldDay } from "./world.ts";

export { DEFAULT_EPOCH, defaultWorld, type PlatformWorld, type PlayerState, type World, WorldDay } from "./world.ts";

/** The full WG player object (every field, as with no `fields` parameter) at the end of `day`, or null. */
export function playerOn(world: World, id: number, day: string): Record<string, unknown> | null {
  const state = new WorldDay(world, day).state(id);
  return state && playerObject(state);
}

/** The compact row a client would send for the account on `day`, or null when it does not exist. */
export function playerRowOn(world: World, id: number, day: string): PlayerRow | null {
  const state = new WorldDay(world, day).state(id);
  return state && playerRow(state);
}

/** Highest regularly allocated ID of a platform on `day` (a few early accounts lie up to 30,000 above it). */
export function frontierOn(world: World, platform: Platform, day: string): number {
  return new WorldDay(world, day).frontier(platform);
}

/** Rows for every existing account in [min, max) on `day`, in ID order. */
export function playerRowsIn(world: World, min: number, max: number, day: string): PlayerRow[] {
  const wd = new WorldDay(world, day);
  const rows: PlayerRow[] = [];
  for (let id = min; id < max; id++) {
    const state = wd.state(id);
    if (state) rows.push(playerRow(state));
  }
  return rows;
}
