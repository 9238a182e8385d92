/**
 * Lifetime counters derived from a player's battle count. Each counter is
 * floor(battles * rate) with a per-player rate, so counters never decrease,
 * change exactly when battles change, and stay consistent (wins + losses <=
 * battles, hits <= shots, survived <= battles).
 */
import { derive, unit } from "./hash.ts";
import type { PlayerState } from "./world.ts";

/** Per-battle rate ranges; the player's rate is drawn once from the range. */
const RATES = {
  wins: [0.42, 0.6],
  draws: [0.005, 0.02],
  spotted: [0.4, 2.0],
  damage_dealt: [150, 2600],
  damage_received: [300, 1400],
  frags: [0.3, 1.6],
  hits: [7, 12],
  misses: [1, 5],
  capture_points: [0, 4],
  dropped_capture_points: [0, 3],
  survived_battles: [0.18, 0.45],
  xp: [180, 900],
  trees_cut: [0.5, 4],
  piercings: [2, 7],
  piercings_received: [2, 8],
  explosion_hits: [0, 1],
  explosion_hits_received: [0.1, 1],
  direct_hits_received: [4, 12],
  no_damage_direct_hits_received: [0.5, 3],
  damage_assisted_radio: [50, 600],
  damage_assisted_track: [20, 300],
  damage_assisted_wheel: [0, 50],
} as const satisfies Record<string, readonly [number, number]>;

export type RateName = keyof typeof RATES;
const RATE_SALT: Record<RateName, number> = Object.fromEntries(Object.keys(RATES).map((name, i) => [name, 100 + i])) as Record<
  RateName,
  number
>;

export function rateOf(player: PlayerState, name: RateName): number {
  const [lo, hi] = RATES[name];
  return lo + (hi - lo) * unit(derive(player.key, RATE_SALT[name]));
}

/** floor(battles * rate): the running total of a counter that grows with every battle. */
export function perBattle(player: PlayerState, name: RateName): number {
  return Math.floor(player.battles * rateOf(player, name));
}

export function losses(player: PlayerState): number {
  return Math.floor(player.battles * (1 - rateOf(player, "wins") - rateOf(player, "draws")));
}

export function shots(player: PlayerState): number {
  return Math.floor(player.battles * (rateOf(player, "hits") + rateOf(player, "misses")));
}

/** A single-battle record: grows towards a few times the average as the player plays more. */
export function record(player: PlayerState, name: "damage_dealt" | "frags" | "xp"): number {
  if (player.battles === 0) return 0;
  const experience = player.battles / (player.battles + 40);
  const best = Math.floor(rateOf(player, name) * (1.5 + 3.5 * experience));
  return name === "frags" ? Math.min(15, 1 + best) : best;
}

/** The vehicle a record was set in; fixed per player so records never jump between tanks without cause. */
export function recordTankId(player: PlayerState, salt: number): number {
  if (player.battles === 0) return 0;
  const h = derive(player.key, 200 + salt);
  return (((h % 240) + 1) << 8) | ((h >>> 8) % 9 << 4) | 1;
}

export function globalRating(player: PlayerState): number {
  if (player.battles === 0) return 0;
  const skill = (rateOf(player, "wins") - 0.42) / 0.18;
  return Math.floor(1500 + 5000 * skill + 120 * Math.log(player.battles + 1));
}
