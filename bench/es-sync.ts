/**
 * Elasticsearch sync figure: documents/s that the production sync
 * (server/src/export/elastic.ts) streams from the embedded PostgreSQL (fsync
 * on) into the Elasticsearch test server, run as a separate process so the
 * two do not share an event loop; against the rate of merely reading the
 * same rows from the same cursors, the sync's upper bound on this machine.
 *
 *   bun run bench es-sync [--players 80000] [--concurrency 2] [--flush-bytes 2000000]
 *
 * A day of N new players makes ~3N documents (total_battles, diff_battles,
 * players). Last line: `es-sync/cursor = X.XX`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openClient } from "../server/src/db/client.ts";
import { startEmbeddedPostgres } from "../server/src/db/embedded.ts";
import { emptyColumns, type IngestChunk } from "../server/src/db/messages.ts";
import { migrateDatabase } from "../server/src/db/migrate.ts";
import { ensurePartitions } from "../server/src/db/queries/ensure-partitions.ts";
import { ingestChunk } from "../server/src/db/queries/ingest-chunk.ts";
import { dayDocuments } from "../server/src/export/documents.ts";
import { DOCUMENT_KINDS } from "../server/src/export/indices.ts";
import { describeClusterSync, syncElasticsearch, type ElasticCluster } from "../server/src/export/elastic.ts";
import { spawnProc } from "../tests/support/processes.ts";

const DAY = "2030-02-01";
const FIRST_ID = 1_073_740_000;

export async function main(args: string[]): Promise<void> {
  const players = numberArg(args, "--players", 80_000);
  const concurrency = numberArg(args, "--concurrency", 2);
  const flushBytes = numberArg(args, "--flush-bytes", 2_000_000);
  const dir = await mkdtemp(join(tmpdir(), "wotc-bench-es-"));
  const pgDir = await mkdtemp(join(tmpdir(), "wotc-bench-es-pg-"));
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, persistent: false });
  const es = spawnProc([
    "bun",
    "--eval",
    `import { startEsTestServer } from ${JSON.stringify(join(import.meta.dir, "..", "tests", "support", "es-server.ts"))};
     console.log("es test server at " + startEsTestServer({ keepSources: false }).url);`,
  ]);
  try {
    const admin = openClient(pg.url, { max: 1 });
    await admin`create database bench`;
    await admin.end();
    const url = pg.url.replace(/\/postgres$/, "/bench");
    await migrateDatabase(url);
    const sql = openClient(url, { max: 2 });
    await ensurePartitions(sql, DAY);
    for (const chunk of makeChunks(players, 5_000)) await ingestChunk(sql, chunk);
    await sql`analyze`;
    const esUrl = (await es.waitFor(/es test server at (\S+)/, 30_000))[1]!;
    console.log(
      `es-sync bench: ${players.toLocaleString("en")} players on ${DAY}, PostgreSQL ${(await sql`show server_version`)[0]!.server_version}, ` +
        `bulk concurrency ${concurrency}, ${flushBytes.toLocaleString("en")} bytes a request`,
    );

    let read = 0;
    const readStarted = performance.now();
    for (const kind of DOCUMENT_KINDS) {
      for await (const document of dayDocuments(sql, kind, kind, DAY)) read += JSON.stringify(document.source).length > 0 ? 1 : 0;
    }
    const readRate = read / ((performance.now() - readStarted) / 1000);
    console.log(`cursor read (same rows, serialized, nothing sent): ${fmt(read)} documents, ${fmt(readRate)} documents/s`);

    const cluster: ElasticCluster = {
      name: "bench",
      url: esUrl,
      indices: { totalBattles: "total-{date}", diffBattles: "diff-{date}", players: "players" },
      requestTimeoutMs: 60_000,
      maxRetries: 3,
      flushBytes,
      concurrency,
    };
    const [report] = await syncElasticsearch({ sql, clusters: [cluster], dataDir: join(dir, "data"), log: () => {} }, DAY);
    console.log(describeClusterSync(report!));
    const indexed = report!.indexed.totalBattles + report!.indexed.diffBattles + report!.indexed.players;
    const held = await Promise.all(
      [`total-${DAY}`, `diff-${DAY}`, "players"].map(async (index) => ((await (await fetch(`${esUrl}/${index}/_count`)).json()) as { count: number }).count),
    );
    if (indexed !== read || held.reduce((a, b) => a + b, 0) !== read || report!.offloaded > 0) {
      throw new Error(`the sync indexed ${indexed} of ${read} documents (the test server holds ${held.join("+")}, ${report!.offloaded} offloaded)`);
    }
    const syncRate = indexed / report!.seconds;
    console.log(`sync: ${fmt(indexed)} documents in ${report!.seconds.toFixed(2)} s, ${fmt(syncRate)} documents/s`);
    await sql.end();
    console.log(`es-sync/cursor = ${(syncRate / readRate).toFixed(2)}`);
  } finally {
    es.kill("SIGTERM");
    await es.exited;
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(pgDir, { recursive: true, force: true });
  }
}

/** New players, every 20th never played (no diff_battles row). */
function makeChunks(players: number, chunkRows: number): IngestChunk[] {
  const chunks: IngestChunk[] = [];
  for (let first = 0; first < players; first += chunkRows) {
    const c = emptyColumns();
    for (let i = first; i < Math.min(players, first + chunkRows); i++) {
      const battles = i % 20 === 0 ? 0 : 50 + (i % 5000);
      c.accountId.push(FIRST_ID + i);
      c.nickname.push(`bench_player_${i}-p`);
      c.console.push("ps");
      c.createdAt.push(1_400_000_000 + i);
      c.lastBattleTime.push(1_700_000_000);
      c.updatedAt.push(1_700_000_100);
      c.battles.push(battles);
      c.spotted.push(battles);
      c.wins.push(battles >> 1);
      c.damageDealt.push(battles * 1_000);
      c.frags.push(battles);
      c.droppedCapturePoints.push(battles >> 2);
    }
    chunks.push({ runDate: DAY, batches: [], players: c });
  }
  return chunks;
}

function numberArg(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} takes a positive number, got ${args[index + 1]}`);
  return value;
}

const fmt = (value: number) => Math.round(value).toLocaleString("en");
