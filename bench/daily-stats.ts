/**
 * Daily statistics figure: the time the after-run computation
 * (server/src/stats/compute.ts) takes for a full-size day in the embedded
 * PostgreSQL, against one `count(*)` of the same day's diff_battles partition
 * measured in the same run (the cheapest pass over the day's activity).
 *
 *   bun run bench daily-stats [--players 15000000] [--active 0.11] [--first-day]
 *
 * The day is generated in SQL (generate_series, triggers off): `players`
 * accounts over the real ID ranges, first seen a month earlier; the share
 * `--active` of them played 1-30 battles (a total_battles and a diff_battles
 * row each, as the triggers write them); 7,000 accounts created that day and
 * 1,000 older ones first seen (newly tracked); the ledger of both days, ~268,000
 * batches each. `--first-day` also times a first date (every account newly
 * tracked: a total_battles row for each). The target: under a minute.
 * Last line: `daily-stats/count = X.XX`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CONFIG } from "@wotc/schema/config";
import { BATCH_SIZE } from "@wotc/schema/wire/messages";
import { openClient, type Sql } from "../server/src/db/client.ts";
import { startEmbeddedPostgres } from "../server/src/db/embedded.ts";
import { migrateDatabase } from "../server/src/db/migrate.ts";
import { ensurePartitions } from "../server/src/db/queries/ensure-partitions.ts";
import { computeDay, describeDayStats } from "../server/src/stats/compute.ts";

const FIRST = "2030-01-01";
const PREVIOUS = "2030-01-31";
const DAY = "2030-02-01";
const NEW_ACCOUNTS = 7_000;
const NEWLY_TRACKED = 1_000;
const RANGES = DEFAULT_CONFIG.ranges;

export async function main(args: string[]): Promise<void> {
  const players = numberArg(args, "--players", 15_000_000);
  const active = numberArg(args, "--active", 0.11);
  const firstDay = args.includes("--first-day");
  const dir = await mkdtemp(join(tmpdir(), "wotc-bench-stats-"));
  const pg = await startEmbeddedPostgres({ dataDir: dir, persistent: false, durable: false });
  try {
    const admin = openClient(pg.url, { max: 1 });
    await admin`create database bench`;
    await admin.end();
    const url = pg.url.replace(/\/postgres$/, "/bench");
    await migrateDatabase(url);
    const sql = openClient(url, { max: 2 });
    const version = (await sql`show server_version`)[0]!.server_version;
    console.log(`daily-stats bench: ${fmt(players)} players, ${(active * 100).toFixed(0)}% active on ${DAY}, PostgreSQL ${version}`);

    let started = performance.now();
    await generate(sql, players, active, firstDay);
    const counts = (await sql`
      select (select count(*) from players)::float8 as players,
             (select count(*) from total_battles where date = ${DAY})::float8 as total,
             (select count(*) from diff_battles where date = ${DAY})::float8 as diff`)[0]!;
    console.log(
      `generated in ${secs(started)}: players ${fmt(counts.players)}, ${DAY} total_battles ${fmt(counts.total)}, diff_battles ${fmt(counts.diff)}`,
    );
    // As right after a crawl: the older tables analyzed long ago by autovacuum, the day's partitions not yet.
    started = performance.now();
    await sql`vacuum analyze players, run_batches, runs`;
    console.log(`vacuum analyze of players and the ledger in ${secs(started)} (the day's partitions are left as the crawl leaves them)`);

    // The reference first (it warms the diff partition, as the crawl just did), then the computation twice.
    const reference = await timed(() => sql`select count(*) from diff_battles where date = ${DAY}`);
    console.log(`reference: count(*) of the ${DAY} diff_battles partition in ${reference.toFixed(2)} s`);
    const runs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      const day = await computeDay(sql, DAY);
      runs.push((performance.now() - t) / 1000);
      console.log(`${i === 0 ? "first" : "again"}: ${describeDayStats(day)}`);
    }
    if (firstDay) {
      const t = performance.now();
      const day = await computeDay(sql, FIRST);
      console.log(`first date: ${describeDayStats(day)} (${secs(t)})`);
    }
    await sql.end();
    const best = Math.min(...runs);
    console.log(`computation: ${runs.map((r) => `${r.toFixed(2)} s`).join(", ")}; target under 60 s: ${Math.max(...runs) < 60 ? "met" : "MISSED"}`);
    console.log(`daily-stats/count = ${(best / reference).toFixed(2)}`);
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A month-old population and one crawled day, written straight into the
 * tables (session_replication_role = replica: the players triggers do not
 * fire, the rows they would write are generated alongside).
 */
export async function generate(sql: Sql, players: number, active: number, firstDay: boolean): Promise<void> {
  const xboxShare = (RANGES.xbox.max - RANGES.xbox.min) / (RANGES.xbox.max - RANGES.xbox.min + RANGES.ps.max - RANGES.ps.min);
  const xboxPlayers = Math.round(players * xboxShare);
  const psPlayers = players - xboxPlayers;
  const activePerMille = Math.round(active * 1000);
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    for (const date of [FIRST, PREVIOUS, DAY]) {
      await ensurePartitions(tx as unknown as Sql, date);
      await tx`insert into runs (run_date, state, ranges) values (${date}, 'complete', ${tx.json(RANGES)})`;
      for (const platform of ["xbox", "ps"] as const) {
        const { min, max } = RANGES[platform];
        await tx`
          insert into run_batches (run_date, platform, start, "end", found)
          select ${date}::date, ${platform}, s, least(s + ${BATCH_SIZE}::int8, ${max}::int8), 50
          from generate_series(${min}::int8, ${max - 1}::int8, ${BATCH_SIZE}::int8) s`;
      }
    }
    // Old accounts spread over each range; created from launch to the epoch, older IDs earlier.
    for (const [platform, count, suffix, launch] of [
      ["xbox", xboxPlayers, "-x", "2014-02-12"],
      ["ps", psPlayers, "-p", "2016-01-19"],
    ] as const) {
      const { min, max } = RANGES[platform];
      const step = (max - min - NEW_ACCOUNTS) / count;
      await tx`
        insert into players (account_id, nickname, console, created_at, last_battle_time, updated_at,
          battles, spotted, wins, damage_dealt, frags, dropped_capture_points, last_api_pull, first_seen, last_changed)
        select ${min}::int8 + floor(i * ${step}::float8)::int8, 'player' || i || ${suffix}, ${platform},
          ${launch}::timestamptz + (i::float8 / ${count}::float8) * (${FIRST}::timestamptz - ${launch}::timestamptz),
          now(), now(), b, b / 3, b / 2, b * 900::int8, b / 2, b / 5, now(),
          case when i < ${NEWLY_TRACKED / 2}::int then ${DAY}::date else ${FIRST}::date end,
          ${PREVIOUS}::date
        from generate_series(0, ${count - 1}::int) i, lateral (select (abs(hashint4(i)) % 20000) as b) battles`;
    }
    // Accounts created on the day, at the top of each range.
    for (const [platform, suffix] of [["xbox", "-x"], ["ps", "-p"]] as const) {
      await tx`
        insert into players (account_id, nickname, console, created_at, last_battle_time, updated_at,
          battles, spotted, wins, damage_dealt, frags, dropped_capture_points, last_api_pull, first_seen, last_changed)
        select ${RANGES[platform].max}::int8 - ${NEW_ACCOUNTS}::int8 + i, 'new' || i || ${suffix}, ${platform},
          ${DAY}::timestamptz + make_interval(secs => i * 86400.0 / ${NEW_ACCOUNTS}::float8), now(), now(),
          b, b, b / 2, b * 900::int8, b / 2, 0, now(), ${DAY}::date, ${DAY}::date
        from generate_series(0, ${NEW_ACCOUNTS / 2 - 1}::int) i, lateral (select case when i % 20 = 0 then 0 else 1 + abs(hashint4(i)) % 30 end as b) battles`;
    }
    // The day's rows, as the triggers would have written them: totals for every changed or first-seen
    // account, differences for those that played (a new account's difference is its totals).
    await tx`
      insert into total_battles (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
      select account_id, ${DAY}::date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points
      from players
      where first_seen = ${DAY}::date or abs(hashint8(account_id)) % 1000 < ${activePerMille}::int`;
    await tx`
      insert into diff_battles (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
      select account_id, ${DAY}::date, console, d, d, d / 2, d * 900::int8, d / 2, d / 5
      from players, lateral (select case when first_seen = ${DAY}::date then battles else 1 + abs(hashint8(account_id + 7)) % 30 end as d) played
      where (first_seen = ${DAY}::date and battles > 0) or (first_seen < ${DAY}::date and abs(hashint8(account_id)) % 1000 < ${activePerMille}::int)`;
    if (firstDay) {
      await tx`
        insert into total_battles (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
        select account_id, ${FIRST}::date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points
        from players where first_seen = ${FIRST}::date`;
    }
  });
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

function numberArg(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} takes a positive number, got ${args[index + 1]}`);
  return value;
}

const fmt = (value: number) => Math.round(value).toLocaleString("en");
const secs = (started: number) => `${((performance.now() - started) / 1000).toFixed(1)} s`;
