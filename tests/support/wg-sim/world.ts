/**
 * The simulated population: which account IDs exist on a day, when they were
 * created, and how many battles they have played. Pure functions of
 * (world, id, day index); nothing is stored.
 *
 * Shape of a platform's ID space on day d (day 0 = the world's epoch):
 *   min … frontier(d) - band   about half of the IDs exist
 *   top 2% below frontier(0)   density falls from 1/2 to 1/100 (sparse top)
 *   frontier(0) … frontier(d)  accounts created after the epoch, half of the IDs,
 *                              IDs in (frontier(k-1), frontier(k)] created on day k
 *   up to 30,000 above         a few early accounts (one ID in 2,000)
 * where frontier(d) = frontier + growthPerDay * d.
 */
import type { Platform } from "@wotc/schema/player";
import { DAY_SECONDS, dayStartSeconds, daysBetween } from "./days.ts";
import { derive, playerKey, unit } from "./hash.ts";
import { nicknameOf } from "./nickname.ts";

export interface PlatformWorld {
  /** Lowest ID WG hands out on this platform. */
  min: number;
  /** Highest allocated ID on the epoch day. */
  frontier: number;
  /** IDs allocated per day after the epoch. */
  growthPerDay: number;
}

export interface World {
  seed: number;
  /** First simulated day (UTC, YYYY-MM-DD); accounts below the epoch frontier were created before it. */
  epoch: string;
  platforms: Record<Platform, PlatformWorld>;
}

export const DEFAULT_EPOCH = "2026-01-01";

/** The real console ID ranges (wg-api.md §6) as of the epoch. */
export function defaultWorld(seed: number, epoch = DEFAULT_EPOCH): World {
  return {
    seed,
    epoch,
    platforms: {
      xbox: { min: 5_000, frontier: 15_450_000, growthPerDay: 3_000 },
      ps: { min: 1_073_740_000, frontier: 1_084_950_000, growthPerDay: 4_000 },
    },
  };
}

/** When each platform's first account was made; pre-epoch creation times spread from here to the epoch. */
const LAUNCHED: Record<Platform, string> = { xbox: "2014-02-12", ps: "2016-01-19" };

const DENSITY = 0.5;
const TOP_BAND_SHARE = 0.02;
const TOP_DENSITY = 0.01;
const EARLY_SHARE = 1 / 1000; // of IDs above the frontier; half of those exist, so 1 in 2,000
const EARLY_REACH = 30_000;
const NEVER_PLAYED_SHARE = 0.05;
const MAX_BASE_BATTLES = 20_000;
const MAX_BATTLES_PER_DAY = 30;
/** A day index before any simulated day: the account existed at the epoch. */
const BEFORE_EPOCH = -1;

const SALT = {
  exists: 1,
  early: 2,
  neverPlayed: 3,
  baseBattles: 4,
  createdJitter: 5,
  baseLastBattle: 6,
  active: 7,
  dayBattles: 8,
  battleTime: 9,
  updateLag: 10,
  // 11 is the nickname's
  noSuffix: 12,
} as const;

/** Everything about one account on one day that the WG player object is derived from. */
export interface PlayerState {
  id: number;
  /** Hash key of (seed, id); the per-player rates in stats.ts derive from it. */
  key: number;
  platform: Platform;
  nickname: string;
  createdAt: number;
  lastBattleTime: number;
  updatedAt: number;
  battles: number;
}

/**
 * A world with its day fixed, and the per-day constants precomputed. The
 * simulator builds one per setDay() and reuses it for every request.
 */
export class WorldDay {
  readonly dayIndex: number;
  readonly epochStart: number;
  private readonly launchStart: Record<Platform, number>;

  constructor(
    readonly world: World,
    readonly day: string,
  ) {
    this.epochStart = dayStartSeconds(world.epoch);
    const index = daysBetween(world.epoch, day);
    if (index < 0) throw new RangeError(`day ${day} is before the world's epoch ${world.epoch}`);
    this.dayIndex = index;
    this.launchStart = { xbox: dayStartSeconds(LAUNCHED.xbox), ps: dayStartSeconds(LAUNCHED.ps) };
    for (const platform of ["xbox", "ps"] as const) {
      const p = world.platforms[platform];
      if (!(p.min > 0 && p.frontier > p.min && p.growthPerDay >= 0)) {
        throw new RangeError(`world.platforms.${platform}: need 0 < min < frontier and growthPerDay >= 0`);
      }
    }
    if (world.platforms.xbox.frontier + world.platforms.xbox.growthPerDay * index + EARLY_REACH >= world.platforms.ps.min) {
      throw new RangeError(`day ${day}: the Xbox frontier has grown into the PlayStation range`);
    }
  }

  frontier(platform: Platform): number {
    const p = this.world.platforms[platform];
    return p.frontier + p.growthPerDay * this.dayIndex;
  }

  /** The platform whose ID space holds `id`, or null below the lowest Xbox ID. */
  platformOf(id: number): Platform | null {
    const { xbox, ps } = this.world.platforms;
    if (id >= ps.min) return "ps";
    if (id >= xbox.min) return "xbox";
    return null;
  }

  /** The account `id` as it stands at the end of this day, or null if it does not exist (yet). */
  state(id: number): PlayerState | null {
    const platform = this.platformOf(id);
    if (platform === null) return null;
    const p = this.world.platforms[platform];
    const key = playerKey(this.world.seed, id);
    if (unit(derive(key, SALT.exists)) >= densityAt(p, id)) return null;
    const birthDay = birthDayOf(p, id, key);
    if (birthDay > this.dayIndex) return null;

    const createdAt = birthDay === BEFORE_EPOCH ? this.preEpochCreatedAt(platform, p, id, key) : this.createdOnDay(p, id, key, birthDay);
    const neverPlayed = unit(derive(key, SALT.neverPlayed)) < NEVER_PLAYED_SHARE;
    let battles = 0;
    let lastBattleTime = createdAt; // documented choice for accounts without a battle (WG's schema allows null)
    if (birthDay === BEFORE_EPOCH && !neverPlayed) {
      battles = Math.floor(Math.exp(unit(derive(key, SALT.baseBattles)) * Math.log(MAX_BASE_BATTLES)));
      lastBattleTime = createdAt + Math.floor(unit(derive(key, SALT.baseLastBattle)) * (this.epochStart - createdAt));
    }
    if (!neverPlayed) {
      const firstActiveDay = Math.max(0, birthDay);
      const played = battlesPlayed(key, firstActiveDay, this.dayIndex);
      if (played > 0) {
        battles += played;
        lastBattleTime = this.battleTimeOn(key, lastActiveDay(key, firstActiveDay, this.dayIndex), createdAt);
      }
    }
    // WG updates the record shortly after the battle, within that day, so it moves only with a battle.
    const battleDayEnd = (Math.floor(lastBattleTime / DAY_SECONDS) + 1) * DAY_SECONDS;
    const lag = derive(key, SALT.updateLag, lastBattleTime) % 600;
    const updatedAt = Math.min(lastBattleTime + lag, battleDayEnd - 1);
    const nickname = nicknameOf(key, suffixOf(platform, key));
    return { id, key, platform, nickname, createdAt, lastBattleTime, updatedAt, battles };
  }

  /** Older IDs were created earlier: spread linearly from launch to the epoch, jittered within a day. */
  private preEpochCreatedAt(platform: Platform, p: PlatformWorld, id: number, key: number): number {
    const launch = this.launchStart[platform];
    const share = Math.min(1, (id - p.min) / (p.frontier - p.min));
    const day = launch + Math.floor((share * (this.epochStart - launch - DAY_SECONDS)) / DAY_SECONDS) * DAY_SECONDS;
    return Math.min(this.epochStart - 1, day + (derive(key, SALT.createdJitter) % DAY_SECONDS));
  }

  /** IDs are handed out in order through the day, so creation time grows with the ID. */
  private createdOnDay(p: PlatformWorld, id: number, key: number, birthDay: number): number {
    const allocated = id - earlyShift(id, key) - (p.frontier + p.growthPerDay * (birthDay - 1));
    const share = Math.min(1, Math.max(0, allocated / p.growthPerDay));
    return this.epochStart + birthDay * DAY_SECONDS + Math.min(DAY_SECONDS - 1, Math.floor(share * DAY_SECONDS));
  }

  /** Some time on day `day`, never before the account existed. */
  private battleTimeOn(key: number, day: number, createdAt: number): number {
    const dayStart = this.epochStart + day * DAY_SECONDS;
    const from = Math.max(dayStart, createdAt);
    return from + Math.floor(unit(derive(key, SALT.battleTime, day)) * (dayStart + DAY_SECONDS - from));
  }
}

function densityAt(p: PlatformWorld, id: number): number {
  const band = (p.frontier - p.min) * TOP_BAND_SHARE;
  const belowFrontier = p.frontier - id;
  if (belowFrontier < 0 || belowFrontier >= band) return DENSITY;
  return TOP_DENSITY + (DENSITY - TOP_DENSITY) * (belowFrontier / band);
}

function earlyShift(id: number, key: number): number {
  const h = derive(key, SALT.early);
  return unit(h) < EARLY_SHARE ? Math.floor((unit(h) / EARLY_SHARE) * EARLY_REACH) : 0;
}

/** The day index an ID is created on, or BEFORE_EPOCH. */
function birthDayOf(p: PlatformWorld, id: number, key: number): number {
  const beyond = id - earlyShift(id, key) - p.frontier;
  if (beyond <= 0) return BEFORE_EPOCH;
  if (p.growthPerDay === 0) return Number.POSITIVE_INFINITY;
  return Math.ceil(beyond / p.growthPerDay);
}

function suffixOf(platform: Platform, key: number): "" | "-x" | "-p" {
  if (unit(derive(key, SALT.noSuffix)) < 0.01) return "";
  return platform === "xbox" ? "-x" : "-p";
}

/*
 * Activity. Days are grouped in blocks of 32; a block's active days are a
 * 32-bit mask (bit i = day 32*block + i), so counting a player's battles over
 * a year touches 12 masks and the ~37 active days in them, not 365 days.
 * P(bit) = 1/8 * (1 - 1/8) ≈ 10.9%.
 */
function activeMask(key: number, block: number): number {
  const some = derive(key, SALT.active, block * 6) & derive(key, SALT.active, block * 6 + 1) & derive(key, SALT.active, block * 6 + 2);
  const veto = derive(key, SALT.active, block * 6 + 3) & derive(key, SALT.active, block * 6 + 4) & derive(key, SALT.active, block * 6 + 5);
  return (some & ~veto) >>> 0;
}

/** The active days of `block` restricted to the day indices [from, to]. */
function maskWithin(key: number, block: number, from: number, to: number): number {
  let mask = activeMask(key, block);
  const base = block * 32;
  if (from > base) mask &= ~((1 << (from - base)) - 1) >>> 0;
  if (to < base + 31) mask &= (1 << (to - base + 1)) - 1;
  return mask >>> 0;
}

function battlesOnActiveDay(key: number, day: number): number {
  return 1 + (derive(key, SALT.dayBattles, day) % MAX_BATTLES_PER_DAY);
}

/** Battles played on the day indices [from, to]. */
function battlesPlayed(key: number, from: number, to: number): number {
  let total = 0;
  for (let block = from >>> 5; block <= to >>> 5; block++) {
    let mask = maskWithin(key, block, from, to);
    while (mask !== 0) {
      const bit = 31 - Math.clz32(mask & -mask);
      total += battlesOnActiveDay(key, block * 32 + bit);
      mask = (mask & (mask - 1)) >>> 0;
    }
  }
  return total;
}

/** The latest active day in [from, to]; call only when there is one. */
function lastActiveDay(key: number, from: number, to: number): number {
  for (let block = to >>> 5; block >= from >>> 5; block--) {
    const mask = maskWithin(key, block, from, to);
    if (mask !== 0) return block * 32 + (31 - Math.clz32(mask));
  }
  throw new Error(`lastActiveDay: no active day in [${from}, ${to}]`);
}
