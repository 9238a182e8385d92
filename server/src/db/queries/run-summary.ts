import { PLATFORMS, type Platform } from "@wotc/schema/player";
import type { Sql } from "../client.ts";
import { assertRunDate } from "./run-date.ts";

export interface PlatformSummary {
  /** Ids in the committed batches of the platform's range. */
  idsQueried: number;
  /** Accounts that exist among them. */
  playersFound: number;
  /** Players (by console) first ingested on this run date. */
  newPlayers: number;
  /** Players (by console) with a diff_battles row on this date: new with battles, or changed. */
  activePlayers: number;
  battlesPlayed: number;
  /** Highest account id found in the platform's range, for range growth; null when none. */
  maxAccountId: number | null;
}

export type RunSummary = Record<Platform, PlatformSummary>;

/** The summary's player figures of one console, as the day's statistics work them out in their own pass (compute-daily-stats.ts). */
export interface PlayerFigures {
  newPlayers: number;
  activePlayers: number;
  battlesPlayed: number;
}

/**
 * The end-of-run figures. Batches are counted by the platform range they were
 * crawled from; players by their console (from the nickname), which can differ.
 * With `players` (the day's statistics counted them in their pass over the
 * day) only the ledger is read: the two counts below are a whole pass over
 * `players` and one over the day's diff_battles, 4.6 s of PostgreSQL time on
 * a 2-million-ID first day in bench e2e.
 */
export async function runSummary(sql: Sql, runDate: string, players?: Record<Platform, PlayerFigures>): Promise<RunSummary> {
  assertRunDate(runDate);
  const none = Promise.resolve([]);
  const [batches, fresh, active] = await Promise.all([
    sql<{ platform: Platform; ids: number; found: number; maxId: number | null }[]>`
      select platform, sum("end" - start)::float8 as ids, sum(found)::float8 as found, max(max_account_id) as "maxId"
      from run_batches where run_date = ${runDate}::date group by platform
    `,
    players ? none : sql<{ console: Platform; n: number }[]>`
      select console, count(*)::float8 as n from players where first_seen = ${runDate}::date group by console
    `,
    players ? none : sql<{ console: Platform; n: number; battles: number }[]>`
      select console, count(*)::float8 as n, sum(battles)::float8 as battles
      from diff_battles where date = ${runDate}::date group by console
    `,
  ]) as [{ platform: Platform; ids: number; found: number; maxId: number | null }[], { console: Platform; n: number }[], { console: Platform; n: number; battles: number }[]];
  const summary = Object.fromEntries(
    PLATFORMS.map((p) => [p, { idsQueried: 0, playersFound: 0, newPlayers: 0, activePlayers: 0, battlesPlayed: 0, maxAccountId: null }]),
  ) as RunSummary;
  for (const r of batches) Object.assign(summary[r.platform], { idsQueried: r.ids, playersFound: r.found, maxAccountId: r.maxId });
  for (const r of fresh) summary[r.console].newPlayers = r.n;
  for (const r of active) Object.assign(summary[r.console], { activePlayers: r.n, battlesPlayed: r.battles });
  if (players) for (const p of PLATFORMS) Object.assign(summary[p], players[p]);
  return summary;
}
