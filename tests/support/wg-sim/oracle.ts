/**
 * What the database must hold after crawling given ranges on given days, by
 * the Data model of DESIGN.md: computed straight from the world, with none of
 * the crawler's code, so an end-to-end test can compare tables row for row.
 */
import { consoleOf, PLATFORMS, type Platform } from "@wotc/schema/player";
import { daysBetween } from "./days.ts";
import { perBattle } from "./stats.ts";
import { type PlayerState, type World, WorldDay } from "./world.ts";

export type IdRanges = Partial<Record<Platform, { min: number; max: number }>>;

/** The six counters a daily row carries, in schema/player.ts COUNTERS order. */
export interface Counters {
  battles: number;
  spotted: number;
  wins: number;
  damage_dealt: number;
  frags: number;
  dropped_capture_points: number;
}

/** A `total_battles` or `diff_battles` row. */
export interface DayRow extends Counters {
  account_id: number;
  date: string;
  console: Platform;
}

/** A `players` row (without last_api_pull, which is the crawler's clock). */
export interface PlayerDbRow extends Counters {
  account_id: number;
  nickname: string;
  console: Platform;
  created_at: number;
  last_battle_time: number;
  updated_at: number;
}

/** Per crawled day and console: what a run summary should report. */
export interface DaySummary {
  date: string;
  console: Platform;
  /** Accounts found (existing in the crawled ranges that day). */
  found: number;
  /** Found for the first time (every account on the first crawled day). */
  newPlayers: number;
  /** Already known and played since the previous crawled day. */
  activePlayers: number;
  /** Battles the active players played since the previous crawled day. */
  battlesPlayed: number;
}

export interface OracleResult {
  /** By account_id. */
  players: PlayerDbRow[];
  /** By (date, account_id). */
  totalBattles: DayRow[];
  diffBattles: DayRow[];
  /** By (date, console xbox then ps). */
  summaries: DaySummary[];
}

function countersOf(p: PlayerState): Counters {
  return {
    battles: p.battles,
    spotted: perBattle(p, "spotted"),
    wins: perBattle(p, "wins"),
    damage_dealt: perBattle(p, "damage_dealt"),
    frags: perBattle(p, "frags"),
    dropped_capture_points: perBattle(p, "dropped_capture_points"),
  };
}

/**
 * Crawl `ranges` (half-open [min, max) per platform) on each of `days` in
 * order (ascending, not necessarily consecutive: "previous" means the previous
 * crawled day). A player is new the first day it is found; it then gets a
 * total row, and a diff row equal to its totals if it has battles. Later, a
 * change in battles gives a total row and a diff row of new minus old;
 * otherwise nothing. The players row keeps the latest stats; in this world
 * nickname and times change only together with battles, so "latest" and "as
 * of the last change" are the same row.
 */
export function expectedDatabase(world: World, ranges: IdRanges, days: string[]): OracleResult {
  for (let i = 1; i < days.length; i++) {
    if (daysBetween(days[i - 1], days[i]) <= 0) throw new RangeError(`oracle days: ${days[i]} does not come after ${days[i - 1]}`);
  }
  const players = new Map<number, PlayerDbRow>();
  const totalBattles: DayRow[] = [];
  const diffBattles: DayRow[] = [];
  const summaries: DaySummary[] = [];
  for (const date of days) {
    const wd = new WorldDay(world, date);
    const summary = Object.fromEntries(
      PLATFORMS.map((c) => [c, { date, console: c, found: 0, newPlayers: 0, activePlayers: 0, battlesPlayed: 0 }]),
    ) as Record<Platform, DaySummary>;
    for (const platform of PLATFORMS) {
      const range = ranges[platform];
      if (!range) continue;
      for (let id = range.min; id < range.max; id++) {
        const state = wd.state(id);
        if (state === null) continue;
        const counters = countersOf(state);
        const before = players.get(id);
        const playerConsole = consoleOf(state.nickname, platform);
        summary[playerConsole].found++;
        if (before !== undefined && before.battles === counters.battles) continue;
        const row: PlayerDbRow = {
          account_id: id,
          nickname: state.nickname,
          console: playerConsole,
          created_at: state.createdAt,
          last_battle_time: state.lastBattleTime,
          updated_at: state.updatedAt,
          ...counters,
        };
        players.set(id, row);
        totalBattles.push({ account_id: id, date, console: row.console, ...counters });
        if (before === undefined) {
          summary[playerConsole].newPlayers++;
          if (counters.battles > 0) diffBattles.push({ account_id: id, date, console: row.console, ...counters });
        } else {
          summary[playerConsole].activePlayers++;
          summary[playerConsole].battlesPlayed += counters.battles - before.battles;
          diffBattles.push({
            account_id: id,
            date,
            console: row.console,
            battles: counters.battles - before.battles,
            spotted: counters.spotted - before.spotted,
            wins: counters.wins - before.wins,
            damage_dealt: counters.damage_dealt - before.damage_dealt,
            frags: counters.frags - before.frags,
            dropped_capture_points: counters.dropped_capture_points - before.dropped_capture_points,
          });
        }
      }
    }
    summaries.push(summary.xbox, summary.ps);
  }
  const byDateThenId = (a: DayRow, b: DayRow) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.account_id - b.account_id);
  return {
    players: [...players.values()].sort((a, b) => a.account_id - b.account_id),
    totalBattles: totalBattles.sort(byDateThenId),
    diffBattles: diffBattles.sort(byDateThenId),
    summaries,
  };
}
