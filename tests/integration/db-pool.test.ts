/** The DB helper pool with real Bun Workers: a helper that ends without a word loses no chunk. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rm } from "node:fs/promises";
import { HelperPool } from "../../server/src/db/pool.ts";
import { packColumns } from "../../server/src/db/column-transfer.ts";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { createTestDatabase, testChunk, type TestDatabase } from "../support/db.ts";
import { exitMarkerFor } from "../support/workers/exit-marker.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await db?.drop();
}, 60_000);

test("a helper that exits without an error event is replaced, and its chunk (packed, as the crawl sends it) is written by the next one", async () => {
  const date = "2031-10-01";
  await ensurePartitions(db.sql, date);
  await rm(exitMarkerFor(db.url), { force: true });
  const notes: string[] = [];
  const written = Promise.withResolvers<number>();
  const pool = new HelperPool({
    url: db.url,
    size: 1,
    workerUrl: new URL("../support/workers/exits-once.ts", import.meta.url).href,
    onFatal: (line) => notes.push(line),
    events: { written: (_id, outcome) => written.resolve(outcome.rows), retrying: () => {}, blocked: () => {}, abandoned: (_id, e) => written.reject(new Error(e)) },
  });
  await pool.start();
  try {
    const chunk = testChunk(date, [{ id: 77, battles: 3 }], [{ platform: "xbox", start: 0, end: 100, found: 1, maxAccountId: 77 }]);
    pool.submit({ ...chunk, players: packColumns(chunk.players) });
    expect(await written.promise).toBe(1);
  } finally {
    await pool.stop();
  }
  expect(notes.join("\n")).toContain("DB helper exited unexpectedly; its chunk is written again by a new helper");
  expect([...(await db.sql`select account_id::int, battles from players`)]).toEqual([{ account_id: 77, battles: 3 }]);
  expect([...(await db.sql`select start::int from run_batches where run_date = ${date}`)]).toEqual([{ start: 0 }]);
  await rm(exitMarkerFor(db.url), { force: true });
}, 30_000);
