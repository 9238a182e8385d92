/**
 * The lean reference of `bench e2e` and `bench full-day`: the simplest
 * fetch → parse → write loop over the same work, in one Bun process. No
 * leases, no WebSocket, no valibot: what our system costs on top of this is
 * what its parts add. Players are decoded into rows and copied into columns
 * by the same generated code as the client and server use (schema/player-code.ts),
 * so no field is spelled out here.
 *
 * 100-ID batches, IN_FLIGHT requests at once, rows gathered into chunks of
 * CHUNK_ROWS and written by the server's own `ingestChunk` (the same `unnest`
 * upsert, ledger rows and triggers) over CONNECTIONS connections; fetching
 * waits while both connections are busy. At the end it computes the day's
 * statistics with the server's own computeDay, as the server does after a
 * run. Reusing the server's SQL keeps the database side identical, so the
 * comparison measures only the pipeline around it.
 *
 * This file is an entry point (spawned by bench/support/stack.ts):
 *   bun bench/support/lean-loop.ts '{"databaseUrl":…,"apiBase":…,"applicationId":…,"date":…,"ranges":{…}}'
 */
import { type Platform, type PlayerRow, WG_FIELDS } from "@wotc/schema/player";
import { appendRows, wgPlayerRow } from "@wotc/schema/player-code";
import { openClient } from "../../server/src/db/client";
import { emptyColumns, type IngestChunk } from "../../server/src/db/messages";
import { migrateDatabase } from "../../server/src/db/migrate";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions";
import { ingestChunk } from "../../server/src/db/queries/ingest-chunk";
import { computeDay } from "../../server/src/stats/compute";

const IN_FLIGHT = 16;
const CHUNK_ROWS = 2_000; // the server's default chunkRows
const CONNECTIONS = 2; // the server's default dbHelpers

interface LeanOptions {
  databaseUrl: string;
  apiBase: string;
  applicationId: string;
  date: string;
  ranges: Record<Platform, { min: number; max: number }>;
}

const options: LeanOptions = JSON.parse(process.argv[2] ?? "");
await migrateDatabase(options.databaseUrl);
const sql = openClient(options.databaseUrl, { max: CONNECTIONS });
await ensurePartitions(sql, options.date);

const batches: { platform: Platform; start: number; end: number }[] = [];
for (const platform of ["xbox", "ps"] as const) {
  const { min, max } = options.ranges[platform];
  for (let start = min; start < max; start += 100) batches.push({ platform, start, end: Math.min(max, start + 100) });
}
const prefix = `${options.apiBase}account/info/?application_id=${options.applicationId}&account_id=`;
const suffix = `&fields=${WG_FIELDS.join(",")}&language=en`;

const newChunk = (): IngestChunk => ({ runDate: options.date, batches: [], players: emptyColumns() });
let chunk = newChunk();
const writes = new Set<Promise<unknown>>();
let players = 0;

async function flush(): Promise<void> {
  const full = chunk;
  chunk = newChunk();
  while (writes.size >= CONNECTIONS) await Promise.race(writes);
  const write: Promise<unknown> = ingestChunk(sql, full).finally(() => writes.delete(write));
  writes.add(write);
}

let next = 0;
async function fetcher(): Promise<void> {
  while (next < batches.length) {
    const { platform, start, end } = batches[next++]!;
    const ids: number[] = [];
    for (let id = start; id < end; id++) ids.push(id);
    const body: any = await (await fetch(prefix + ids.join(",") + suffix)).json();
    if (body.status !== "ok") throw new Error(`WG answered ${JSON.stringify(body.error)} for [${start}, ${end})`);
    // the rows a client would send (schema/player-code.ts), straight into the chunk's columns
    const rows: PlayerRow[] = [];
    for (let id = start; id < end; id++) {
      const player = body.data[id];
      if (player === null || player === undefined) continue;
      const row = wgPlayerRow(player);
      if (!row) throw new Error(`WG sent a malformed player for ${id}`);
      rows.push(row);
    }
    const found = rows.length;
    const maxAccountId = appendRows(chunk.players, rows, platform);
    chunk.batches.push({ platform, start, end, found, maxAccountId });
    players += found;
    if (chunk.players.accountId.length >= CHUNK_ROWS) await flush();
  }
}

await Promise.all(Array.from({ length: IN_FLIGHT }, fetcher));
if (chunk.batches.length > 0) await flush();
await Promise.all(writes);
// The day's statistics are part of a day's output (the /stats page): the
// server computes them after every run, so the reference does too, with the
// same query.
const stats = await computeDay(sql, options.date);
await sql.end();
console.log(`lean loop: ${batches.length} batches, ${players} players written, day statistics in ${stats.seconds.toFixed(1)} s (${stats.rows.length} rows)`);
