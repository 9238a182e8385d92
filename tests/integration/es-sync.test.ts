/**
 * The Elasticsearch sync (server/src/export/elastic.ts, the production code)
 * against the test server that speaks Elasticsearch's bulk API: what the
 * cluster holds after a sync, what lands in the offload file when it cannot
 * take documents, and that the next sync sends exactly those.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { ingestChunk } from "../../server/src/db/queries/ingest-chunk.ts";
import { describeClusterSync, syncElasticsearch, syncFailed, type ElasticCluster } from "../../server/src/export/elastic.ts";
import { createTestDatabase, testChunk, type TestDatabase, type TestPlayer } from "../support/db.ts";
import { startEsTestServer, type EsTestServer } from "../support/es-server.ts";

const DAY1 = "2031-07-01";
const DAY2 = "2031-07-02";
const PLAYERS = 500;

let db: TestDatabase;
let es: EsTestServer;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await ensurePartitions(db.sql, DAY1);
  // Day 1: 500 new players (every 10th has never played); day 2: every 3rd plays again.
  const day1: TestPlayer[] = Array.from({ length: PLAYERS }, (_, i) => ({ id: 1_000 + i, battles: i % 10 === 0 ? 0 : 10 + i }));
  await ingestChunk(db.sql, testChunk(DAY1, day1));
  const day2 = day1.map((p, i) => (i % 3 === 0 ? { ...p, battles: p.battles! + 5, wins: 9 } : p));
  await ingestChunk(db.sql, testChunk(DAY2, day2));
}, 60_000);
afterAll(async () => {
  await es?.stop();
  await db?.drop();
}, 60_000);
beforeEach(async () => {
  await es?.stop();
  es = startEsTestServer();
  dataDir = await mkdtemp(join(tmpdir(), "wotc-es-sync-"));
}, 60_000);

function cluster(overrides: Partial<ElasticCluster> = {}): ElasticCluster {
  return {
    name: "test",
    url: es.url,
    indices: { totalBattles: "wotc-total-{date}", diffBattles: "wotc-diff-{yyyy}.{mm}.{dd}", players: "wotc-players" },
    requestTimeoutMs: 5_000,
    maxRetries: 1,
    flushBytes: 20_000,
    concurrency: 2,
    ...overrides,
  };
}

const sync = (date: string, c = cluster(), dir = dataDir) =>
  syncElasticsearch({ sql: db.sql, clusters: [c], dataDir: dir, log: () => {} }, date);

/** The rows of a date as the cluster should hold them, by document id. */
async function expectedDocs(date: string) {
  const battles = async (table: string) =>
    new Map(
      (
        await db.sql.unsafe(
          `select account_id, date::text as date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points from ${table} where date = $1`,
          [date],
        )
      ).map((r: any) => [`${r.account_id}-${date}`, { ...r }]),
    );
  const players = new Map(
    (await db.sql`select account_id, battles, last_changed::text from players where last_changed = ${date}::date`).map((r: any) => [
      String(r.account_id),
      r,
    ]),
  );
  return { total: await battles("total_battles"), diff: await battles("diff_battles"), players };
}

const offloadLines = async (dir = dataDir) => {
  const text = await readFile(join(dir, "es-offload", "test.ndjson"), "utf8").catch(() => "");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
};

describe("a day syncs", () => {
  test("the cluster holds exactly the day's total_battles, diff_battles and changed players, in indices named for the day", async () => {
    const [report] = await sync(DAY2);
    const expected = await expectedDocs(DAY2);
    expect(es.docs("wotc-total-2031-07-02")).toEqual(expected.total);
    expect(es.docs("wotc-diff-2031.07.02")).toEqual(expected.diff);
    expect([...es.docs("wotc-players").keys()].sort()).toEqual([...expected.players.keys()].sort());
    for (const [id, row] of expected.players) expect(es.docs("wotc-players").get(id)).toMatchObject(row);
    expect(expected.players.size).toBe(Math.ceil(PLAYERS / 3));
    expect([...es.indices.keys()].sort()).toEqual(["wotc-diff-2031.07.02", "wotc-players", "wotc-total-2031-07-02"]);
    // created by the sync with its mappings, not left to dynamic mapping
    for (const index of es.indices.values()) expect(index.explicit).toBe(true);
    expect(report!.indexed).toEqual({ totalBattles: expected.total.size, diffBattles: expected.diff.size, players: expected.players.size });
    expect(report!.offloaded).toBe(0);
    expect(describeClusterSync(report!)).toMatch(/^elasticsearch test: [\d,]+ documents of 2031-07-02 indexed .* documents\/s\)$/);
    expect(await readdir(dataDir)).toEqual([]); // no offload file when nothing failed
  });

  test("a player document carries its latest stats and times as ISO strings", async () => {
    await sync(DAY2);
    expect(es.docs("wotc-players").get("1000")).toEqual({
      account_id: 1000,
      nickname: "player1000",
      console: "xbox",
      created_at: "2014-05-13T16:53:20Z",
      last_battle_time: "2023-11-14T22:13:20Z",
      updated_at: "2023-11-14T22:15:00Z",
      battles: 5,
      spotted: 5,
      wins: 9,
      damage_dealt: 12_345,
      frags: 7,
      dropped_capture_points: 3,
      last_api_pull: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      first_seen: DAY1,
      last_changed: DAY2,
    });
  });

  test("syncing the same day again replaces the same documents: nothing is doubled", async () => {
    await sync(DAY2);
    const before = es.documentCount;
    await sync(DAY2);
    expect(es.documentCount).toBe(before);
  });
});

describe("a cluster that cannot take documents", () => {
  test("down: every document goes to the offload file; the next sync sends it first, then its own day, each document once", async () => {
    await es.down();
    const [first] = await sync(DAY1);
    const day1 = await expectedDocs(DAY1);
    const day1Count = day1.total.size + day1.diff.size + day1.players.size;
    expect(first!.unreachable).toMatch(/ConnectionError|connect|refused/i);
    expect(first!.offloaded).toBe(day1Count);
    expect(first!.indexed).toEqual({ totalBattles: 0, diffBattles: 0, players: 0 });
    expect(await offloadLines()).toHaveLength(day1Count);
    expect(describeClusterSync(first!)).toContain(`${day1Count.toLocaleString("en-US")} documents offloaded to ${join(dataDir, "es-offload", "test.ndjson")}`);
    expect(syncFailed([first!])).toBe(false); // nothing lost: the operator need not act

    es.up();
    const [second] = await sync(DAY2);
    const day2 = await expectedDocs(DAY2);
    expect(second!.fromOffload).toBe(day1Count);
    expect(second!.offloaded).toBe(0);
    expect(es.docs("wotc-total-2031-07-01")).toEqual(day1.total);
    expect(es.docs("wotc-diff-2031.07.01")).toEqual(day1.diff);
    expect(es.docs("wotc-total-2031-07-02")).toEqual(day2.total);
    expect(es.docs("wotc-diff-2031.07.02")).toEqual(day2.diff);
    expect(es.docs("wotc-players").size).toBe(PLAYERS); // changed on day 1 only, or (latest) on day 2
    expect([...es.received.values()].every((count) => count === 1)).toBe(true);
    expect(await readdir(join(dataDir, "es-offload"))).toEqual([]);
  });

  test("partial failure (errors: true): only the rejected documents are offloaded, and only they are sent again", async () => {
    const rejected = (id: string) => Number(id.split("-")[0]) % 7 === 0;
    es.itemFault = (_index, id) => (rejected(id) ? { status: 400, type: "mapper_parsing_exception", reason: "failed to parse" } : undefined);
    const [first] = await sync(DAY2);
    const day2 = await expectedDocs(DAY2);
    const allIds = [...day2.total.keys(), ...day2.diff.keys(), ...day2.players.keys()];
    const failedIds = allIds.filter(rejected);
    expect(failedIds.length).toBeGreaterThan(50);
    expect(first!.offloaded).toBe(failedIds.length);
    expect(first!.rejected).toBe("400 mapper_parsing_exception: failed to parse");
    expect((await offloadLines()).map((d) => d.id).sort()).toEqual(failedIds.sort());

    es.itemFault = undefined;
    const [second] = await sync(DAY1);
    expect(second!.fromOffload).toBe(failedIds.length);
    expect(es.docs("wotc-total-2031-07-02")).toEqual(day2.total);
    expect(es.docs("wotc-diff-2031.07.02")).toEqual(day2.diff);
    // every day-2 document received once, except the rejected ones: twice
    for (const [key, count] of es.received) {
      if (!key.includes("2031-07-02") && !key.includes("2031.07.02")) continue;
      expect([key, count]).toEqual([key, rejected(key.split("/")[1]!) ? 2 : 1]);
    }
  });

  test("a bulk request refused as a whole mid-stream: what it carried and the rest are offloaded, nothing is lost", async () => {
    await sync(DAY1); // day-1 indices exist, so only bulk requests are refused below
    es.received.clear();
    es.refuseBulkRequests(2, 503); // the request and its one retry (maxRetries 1)
    const [first] = await sync(DAY2, cluster({ concurrency: 1 }));
    const day2 = await expectedDocs(DAY2);
    const day2Count = day2.total.size + day2.diff.size + day2.players.size;
    expect(first!.unreachable).toContain("HTTP 503 unavailable_shards_exception");
    expect(first!.offloaded).toBe(day2Count); // the first request was refused: nothing of day 2 got in
    const [second] = await sync(DAY2);
    expect(second!.fromOffload).toBe(day2Count);
    expect(es.docs("wotc-total-2031-07-02")).toEqual(day2.total);
    expect(es.docs("wotc-diff-2031.07.02")).toEqual(day2.diff);
  });

  test("refused after the first requests: the documents already indexed are not offloaded, the rest is", async () => {
    await sync(DAY1);
    es.received.clear();
    es.refuseBulkRequests(2, 503, 3); // 3 requests taken, then the 4th and its retry refused
    const [first] = await sync(DAY2, cluster({ concurrency: 1 }));
    const accepted = first!.indexed.totalBattles + first!.indexed.diffBattles + first!.indexed.players;
    const day2 = await expectedDocs(DAY2);
    const day2Count = day2.total.size + day2.diff.size + day2.players.size;
    expect(first!.unreachable).toContain("HTTP 503");
    expect(accepted).toBeGreaterThan(0);
    expect(accepted + first!.offloaded).toBe(day2Count);
    const [second] = await sync(DAY1);
    expect(second!.fromOffload).toBe(first!.offloaded);
    expect(es.docs("wotc-total-2031-07-02")).toEqual(day2.total);
    expect(es.docs("wotc-diff-2031.07.02")).toEqual(day2.diff);
    // Each day-2 document indexed before the refusal or from the offload file, never both.
    const day2Received = [...es.received].filter(([key]) => /2031-07-02|2031\.07\.02/.test(key) || day2.players.has(key.split("/")[1]!));
    expect(day2Received.length).toBe(day2Count);
    expect(day2Received.filter(([, count]) => count !== 1)).toEqual([]);
  });

  test("wrong credentials: refused (401), offloaded, and said", async () => {
    await es.stop();
    es = new (es.constructor as typeof EsTestServer)({ auth: { username: "wotc", password: "right" } }).start();
    const [bad] = await sync(DAY2, cluster({ url: es.url, auth: { username: "wotc", password: "wrong" } }));
    expect(bad!.unreachable).toMatch(/^creating index wotc-total-2031-07-02: HTTP 401/);
    expect(bad!.offloaded).toBeGreaterThan(0);
    const [good] = await sync(DAY2, cluster({ url: es.url, auth: { username: "wotc", password: "right" } }));
    expect(good!.fromOffload).toBe(bad!.offloaded);
    expect(good!.unreachable).toBeUndefined();
  });

  test("an offload file cut short by a crash: the bad last line is skipped and said, the rest is sent", async () => {
    const doc = { kind: "players", index: "wotc-players", id: "99", source: { account_id: 99, nickname: "x" } };
    await Bun.write(join(dataDir, "es-offload", "test.ndjson"), `${JSON.stringify(doc)}\n{"kind":"pla`);
    const [report] = await sync(DAY2);
    expect(report!.fromOffload).toBe(1);
    expect(report!.badOffloadLines).toBe(1);
    expect(describeClusterSync(report!)).toContain("1 unreadable lines in the offload file skipped");
    expect(es.docs("wotc-players").get("99")).toEqual(doc.source);
  });
});

test("an offloaded older version of a player is sent before the day's newer one, so the newer one stays", async () => {
  const old = { kind: "players", index: "wotc-players", id: "1000", source: { account_id: 1000, battles: 1, last_changed: "2031-06-30" } };
  await Bun.write(join(dataDir, "es-offload", "test.ndjson"), `${JSON.stringify(old)}\n`);
  const [report] = await sync(DAY2);
  expect(report!.fromOffload).toBe(1);
  expect(es.received.get("wotc-players/1000")).toBe(2);
  expect(es.docs("wotc-players").get("1000")).toMatchObject({ battles: 5, last_changed: DAY2 });
});

describe("disk write errors on the offload file", () => {
  test("are reported with the file and the count of documents neither indexed nor saved", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-es-sync-bad-"));
    await writeFile(join(dir, "es-offload"), "a file where the offload directory should be");
    await es.down();
    const [report] = await sync(DAY2, cluster(), dir);
    const day2 = await expectedDocs(DAY2);
    expect(report!.offloaded).toBe(0);
    expect(report!.lost).toBe(day2.total.size + day2.diff.size + day2.players.size);
    expect(report!.offloadError).toContain(join(dir, "es-offload"));
    expect(syncFailed([report!])).toBe(true);
    expect(describeClusterSync(report!)).toMatch(/ERROR: .*es-offload.*; [\d,]+ documents neither indexed nor saved/);
    await rm(dir, { recursive: true, force: true });
  });
});
