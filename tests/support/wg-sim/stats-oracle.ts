/**
 * The public daily statistics (issue 14) a sequence of crawls must produce,
 * computed from the simulated world by the definitions alone: no SQL
 * and none of the tracker's code. Beside oracle.ts, which gives the tables
 * the same crawls must leave.
 *
 * A crawl is a date with its ranges and the batches that failed that day
 * (their accounts are not crawled). For each crawled date d, with p the
 * previous crawled date, an account found on d is
 * - known (seen on an earlier crawl): active when its battles rose since that
 *   crawl, by the rise;
 * - first seen, created on or after the day after p: new; active when it has
 *   battles, by all of them;
 * - first seen, created before (or d is the first date): newly tracked, and
 *   nothing else.
 * `complete`: no batch of d failed, nor of p.
 */
import { consoleOf, PLATFORMS, type Platform } from "@wotc/schema/player";
import { dayStartSeconds, daysBetween, DAY_SECONDS } from "./days.ts";
import { type World, WorldDay } from "./world.ts";

export interface Crawl {
  date: string;
  ranges: Record<Platform, { min: number; max: number }>;
  /** Batches of 100 set aside as failed that day: their accounts are not crawled. */
  failed?: { platform: Platform; start: number; end: number }[];
}

/** A row of daily.csv, every column. */
export interface ExpectedDailyRow {
  date: string;
  platform: "xbox" | "ps" | "all";
  active_accounts: number;
  battles: number;
  new_accounts: number;
  accounts_5plus: number;
  newly_tracked: number;
  span_days: number | null;
  complete: boolean;
  battles_per_active_account: number | null;
  active_1_4: number;
  active_5_9: number;
  active_10_19: number;
  active_20_49: number;
  active_50plus: number;
  previous_date: string | null;
  batches: number;
  batches_committed: number;
  batches_failed: number;
}

export interface ExpectedAgeRow {
  date: string;
  platform: "xbox" | "ps" | "all";
  created_year: number;
  active_accounts: number;
  battles: number;
  complete: boolean;
  span_days: number | null;
}

const BATCH = 100;

interface Tally {
  active: number;
  battles: number;
  fresh: number;
  newlyTracked: number;
  buckets: [number, number, number, number, number];
  years: Map<number, { active: number; battles: number }>;
}

const emptyTally = (): Tally => ({ active: 0, battles: 0, fresh: 0, newlyTracked: 0, buckets: [0, 0, 0, 0, 0], years: new Map() });

function bucketOf(played: number): number {
  if (played < 5) return 0;
  if (played < 10) return 1;
  if (played < 20) return 2;
  if (played < 50) return 3;
  return 4;
}

/** battles / active rounded half up to 2 decimals, in exact integer arithmetic. */
function perActive(battles: number, active: number): number | null {
  if (active === 0) return null;
  const hundredths = (BigInt(battles) * 200n + BigInt(active)) / (2n * BigInt(active));
  return Number(hundredths) / 100;
}

export function expectedDailyStats(world: World, crawls: Crawl[]): { daily: ExpectedDailyRow[]; accountAge: ExpectedAgeRow[] } {
  const lastBattles = new Map<number, number>();
  const daily: ExpectedDailyRow[] = [];
  const accountAge: ExpectedAgeRow[] = [];
  let previous: { date: string; anyFailed: boolean } | null = null;
  for (const crawl of crawls) {
    if (previous && daysBetween(previous.date, crawl.date) <= 0) throw new RangeError(`stats oracle: ${crawl.date} does not come after ${previous.date}`);
    const wd = new WorldDay(world, crawl.date);
    const newSince = previous ? dayStartSeconds(previous.date) + DAY_SECONDS : Number.POSITIVE_INFINITY;
    const failed = crawl.failed ?? [];
    const tallies: Record<Platform, Tally> = { xbox: emptyTally(), ps: emptyTally() };
    for (const platform of PLATFORMS) {
      const { min, max } = crawl.ranges[platform];
      for (let id = min; id < max; id++) {
        if (failed.some((b) => b.platform === platform && id >= b.start && id < b.end)) continue;
        const state = wd.state(id);
        if (state === null) continue;
        const tally = tallies[consoleOf(state.nickname, platform)];
        const before = lastBattles.get(id);
        lastBattles.set(id, state.battles);
        let played = 0;
        if (before !== undefined) played = state.battles - before;
        else if (state.createdAt >= newSince) {
          tally.fresh++;
          played = state.battles;
        } else {
          tally.newlyTracked++;
          continue;
        }
        if (played <= 0) continue;
        tally.active++;
        tally.battles += played;
        tally.buckets[bucketOf(played)]!++;
        const year = new Date(state.createdAt * 1000).getUTCFullYear();
        const y = tally.years.get(year) ?? { active: 0, battles: 0 };
        y.active++;
        y.battles += played;
        tally.years.set(year, y);
      }
    }
    const anyFailed = failed.length > 0;
    const complete = !anyFailed && !(previous?.anyFailed ?? false);
    const spanDays = previous ? daysBetween(previous.date, crawl.date) : null;
    const planned = (p: Platform) => Math.ceil((crawl.ranges[p].max - crawl.ranges[p].min) / BATCH);
    const failedOf = (p: Platform) => failed.filter((b) => b.platform === p).length;
    const all = emptyTally();
    for (const t of [tallies.xbox, tallies.ps]) {
      all.active += t.active;
      all.battles += t.battles;
      all.fresh += t.fresh;
      all.newlyTracked += t.newlyTracked;
      t.buckets.forEach((n, i) => (all.buckets[i]! += n));
      for (const [year, y] of t.years) {
        const a = all.years.get(year) ?? { active: 0, battles: 0 };
        all.years.set(year, { active: a.active + y.active, battles: a.battles + y.battles });
      }
    }
    const rows: [ExpectedDailyRow["platform"], Tally, number, number][] = [
      ["xbox", tallies.xbox, planned("xbox"), failedOf("xbox")],
      ["ps", tallies.ps, planned("ps"), failedOf("ps")],
      ["all", all, planned("xbox") + planned("ps"), failed.length],
    ];
    for (const [platform, t, batches, failedCount] of rows) {
      daily.push({
        date: crawl.date,
        platform,
        active_accounts: t.active,
        battles: t.battles,
        new_accounts: t.fresh,
        accounts_5plus: t.active - t.buckets[0],
        newly_tracked: t.newlyTracked,
        span_days: spanDays,
        complete,
        battles_per_active_account: perActive(t.battles, t.active),
        active_1_4: t.buckets[0],
        active_5_9: t.buckets[1],
        active_10_19: t.buckets[2],
        active_20_49: t.buckets[3],
        active_50plus: t.buckets[4],
        previous_date: previous?.date ?? null,
        batches,
        batches_committed: batches - failedCount,
        batches_failed: failedCount,
      });
      for (const year of [...t.years.keys()].sort((a, b) => a - b)) {
        const y = t.years.get(year)!;
        accountAge.push({ date: crawl.date, platform, created_year: year, active_accounts: y.active, battles: y.battles, complete, span_days: spanDays });
      }
    }
    previous = { date: crawl.date, anyFailed };
  }
  return { daily, accountAge };
}
