/**
 * Server + DB figure: rows/s that ingestChunk writes with full trigger
 * semantics, against raw COPY into an untriggered copy of `players`, measured
 * in the same run on the same embedded PostgreSQL (fsync on, as in production).
 *
 *   bun run bench ingest [--players 300000] [--chunk 5000]
 *
 * Day 1 ingests N new players, day 2 the same players with ~95% changed; each
 * on 1 connection, then (after emptying the tables) on 2 connections writing
 * disjoint id ranges in parallel, as two DB helper workers would. COPY writes
 * the same N rows, one COPY statement per chunk. Last line:
 * `ingest/copy = X.XX`, the better of 1 and 2 connections (day 1 + day 2 rows
 * over their time) against COPY on 1 connection.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openClient, type Sql } from "../server/src/db/client.ts";
import { startEmbeddedPostgres } from "../server/src/db/embedded.ts";
import type { IngestChunk } from "../server/src/db/messages.ts";
import { emptyColumns } from "../server/src/db/messages.ts";
import { migrateDatabase } from "../server/src/db/migrate.ts";
import { ensurePartitions } from "../server/src/db/queries/ensure-partitions.ts";
import { ingestChunk } from "../server/src/db/queries/ingest-chunk.ts";

const DAY1 = "2030-01-01";
const DAY2 = "2030-01-02";
const FIRST_ID = 1_073_740_000;

export async function main(args: string[]): Promise<void> {
  const players = numberArg(args, "--players", 300_000);
  const chunkRows = numberArg(args, "--chunk", 5_000);
  const analyze = args.includes("--analyze");
  const dataDir = await mkdtemp(join(tmpdir(), "wotc-bench-ingest-"));
  const server = await startEmbeddedPostgres({ dataDir, persistent: false });
  try {
    const admin = openClient(server.url, { max: 1 });
    await admin`create database bench`;
    await admin.end();
    const url = server.url.replace(/\/postgres$/, "/bench");
    await migrateDatabase(url);
    const sql = openClient(url, { max: 2 });
    await ensurePartitions(sql, DAY1);
    await sql`create table players_copy (like players including all)`;

    console.log(`ingest bench: ${players.toLocaleString("en")} players, ${chunkRows.toLocaleString("en")} rows a chunk, PostgreSQL ${(await sql`show server_version`)[0]!.server_version}`);
    const day1 = makeChunks(DAY1, players, chunkRows, 0);
    const day2 = makeChunks(DAY2, players, chunkRows, 1);

    const results: { connections: number; rate: number }[] = [];
    for (const connections of [1, 2]) {
      await sql`truncate players, total_battles, diff_battles, run_batches`;
      await sql`checkpoint`;
      // long-lived connections, as the DB helper workers keep theirs from one day to the next
      const clients = Array.from({ length: connections }, () => openClient(url, { max: 1 }));
      await Promise.all(clients.map((c) => c`select 1`));
      const fresh = await ingestAll(clients, day1);
      if (analyze) await sql`analyze players`;
      const changed = await ingestAll(clients, day2);
      await Promise.all(clients.map((c) => c.end()));
      const rate = (2 * players) / (fresh.seconds + changed.seconds);
      await checkResult(sql, players);
      results.push({ connections, rate });
      console.log(
        `ingest, ${connections} connection${connections > 1 ? "s" : ""}: new ${fmt(players / fresh.seconds)} rows/s, changed ${fmt(players / changed.seconds)} rows/s, both ${fmt(rate)} rows/s`,
      );
    }

    await sql`checkpoint`;
    const copy = await copyAll(url, day1);
    console.log(`raw COPY into an untriggered copy of players, 1 connection: ${fmt(players / copy)} rows/s`);
    await sql.end();

    const best = Math.max(...results.map((r) => r.rate));
    console.log(`ingest/copy = ${(best / (players / copy)).toFixed(2)}`);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Raw COPY rows/s into an untriggered copy of `players` on the database at
 * `url` (migrated), for benchmarks that compare their ingest rate with it.
 */
export async function measureRawCopyRate(url: string, players = 300_000, chunkRows = 5_000): Promise<number> {
  const sql = openClient(url, { max: 1 });
  try {
    await sql`drop table if exists players_copy`;
    await sql`create table players_copy (like players including all)`;
    await sql`checkpoint`;
    const seconds = await copyAll(url, makeChunks(DAY1, players, chunkRows, 0));
    await sql`drop table players_copy`;
    return players / seconds;
  } finally {
    await sql.end();
  }
}

/** Every chunk written by the clients in parallel, each taking a contiguous share of the id range. */
async function ingestAll(clients: Sql[], chunks: IngestChunk[]): Promise<{ seconds: number }> {
  const share = Math.ceil(chunks.length / clients.length);
  const started = performance.now();
  await Promise.all(
    clients.map(async (client, i) => {
      for (const chunk of chunks.slice(i * share, (i + 1) * share)) await ingestChunk(client, chunk);
    }),
  );
  return { seconds: (performance.now() - started) / 1000 };
}

/** The same rows as COPY text, one COPY statement (its own transaction) per chunk. */
async function copyAll(url: string, chunks: IngestChunk[]): Promise<number> {
  const texts = chunks.map(copyText);
  const client = openClient(url, { max: 1 });
  await client`select 1`;
  const started = performance.now();
  for (const text of texts) {
    const stream = await client`
      copy players_copy (account_id, nickname, console, created_at, last_battle_time, updated_at, battles, spotted, wins,
        damage_dealt, frags, dropped_capture_points, last_api_pull, first_seen, last_changed) from stdin`.writable();
    await new Promise<void>((resolve, reject) => {
      stream.on("error", reject);
      stream.on("finish", resolve);
      stream.end(text);
    });
  }
  const seconds = (performance.now() - started) / 1000;
  await client.end();
  return seconds;
}

function copyText(chunk: IngestChunk): string {
  const p = chunk.players;
  const ts = (s: number) => new Date(s * 1000).toISOString();
  let out = "";
  for (let i = 0; i < p.accountId.length; i++) {
    out += `${p.accountId[i]}\t${p.nickname[i]}\t${p.console[i]}\t${ts(p.createdAt[i]!)}\t${p.lastBattleTime[i] ? ts(p.lastBattleTime[i]!) : "\\N"}\t${ts(p.updatedAt[i]!)}\t${p.battles[i]}\t${p.spotted[i]}\t${p.wins[i]}\t${p.damageDealt[i]}\t${p.frags[i]}\t${p.droppedCapturePoints[i]}\t${ts(p.updatedAt[i]!)}\t${chunk.runDate}\t${chunk.runDate}\n`;
  }
  return out;
}

/** Deterministic players; on day 2, 95% of them have played (every counter moves). */
function makeChunks(runDate: string, players: number, chunkRows: number, day: number): IngestChunk[] {
  const chunks: IngestChunk[] = [];
  for (let first = 0; first < players; first += chunkRows) {
    const c = emptyColumns();
    const last = Math.min(players, first + chunkRows);
    for (let i = first; i < last; i++) {
      const played = day > 0 && i % 20 !== 0 ? 1 + (i % 17) : 0;
      const battles = 50 + (i % 5000) + played;
      c.accountId.push(FIRST_ID + i);
      c.nickname.push(`bench_player_${i}${i % 3 === 0 ? "-x" : "-p"}`);
      c.console.push(i % 3 === 0 ? "xbox" : "ps");
      c.createdAt.push(1_400_000_000 + i);
      c.lastBattleTime.push(1_700_000_000 + day * 86_400);
      c.updatedAt.push(1_700_000_100 + day * 86_400);
      c.battles.push(battles);
      c.spotted.push(battles);
      c.wins.push(battles >> 1);
      c.damageDealt.push(battles * 812);
      c.frags.push(battles - 3);
      c.droppedCapturePoints.push(battles >> 2);
    }
    chunks.push({
      runDate,
      batches: [{ platform: "ps", start: FIRST_ID + first, end: FIRST_ID + last, found: last - first, maxAccountId: FIRST_ID + last - 1 }],
      players: c,
    });
  }
  return chunks;
}

/** A benchmark of a write path that wrote the wrong thing measures nothing. */
async function checkResult(sql: Sql, players: number) {
  const [r] = await sql`
    select (select count(*)::int from players) as players,
           (select count(*)::int from total_battles where date = ${DAY2}) as totals,
           (select count(*)::int from diff_battles where date = ${DAY2}) as diffs`;
  const changed = players - Math.ceil(players / 20);
  if (r!.players !== players || r!.totals !== changed || r!.diffs !== changed) {
    throw new Error(`ingest bench wrote wrong rows: ${JSON.stringify(r)}, expected ${players} players and ${changed} day-2 totals/diffs`);
  }
}

function numberArg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${args[i + 1]}`);
  return value;
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString("en");
}

if (import.meta.main) await main(process.argv.slice(2));
