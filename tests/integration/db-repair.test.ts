/**
 * Repairing a lie: after a client's answer was written and found false, the
 * honest answer for the same batch replaces it, and the day's rows read as if
 * the lie had never been written.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { ingestChunk } from "../../server/src/db/queries/ingest-chunk.ts";
import { repairBatches } from "../../server/src/db/queries/repair-batches.ts";
import type { ChunkBatch, RepairChunk } from "../../server/src/db/messages.ts";
import { packColumns } from "../../server/src/db/column-transfer.ts";
import { createTestDatabase, testChunk, type TestDatabase, type TestPlayer } from "../support/db.ts";

const DAY1 = "2031-08-01";
const DAY2 = "2031-08-02";
const BATCH: ChunkBatch = { platform: "xbox", start: 1000, end: 1100, found: 0, maxAccountId: null };

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await ensurePartitions(db.sql, DAY1);
}, 60_000);
afterAll(() => db.drop(), 60_000);
beforeEach(async () => {
  await db.sql`truncate players, total_battles, diff_battles, run_batches, failed_batches`;
}, 60_000);

function repair(date: string, players: TestPlayer[], extra: Partial<RepairChunk> = {}): RepairChunk {
  const chunk = testChunk(date, players, [{ ...BATCH, found: players.length, answeredBy: "honest", checkState: "repaired" }]);
  return { ...chunk, repair: true, judge: false, ...extra };
}

const day = async (table: string, date: string): Promise<unknown[]> =>
  [...(await db.sql.unsafe(`select account_id::int as id, battles, wins from ${table} where date = $1 order by account_id`, [date]))];
const players = async (): Promise<unknown[]> => [...(await db.sql`select account_id::int as id, battles, wins, first_seen::text from players order by account_id`)];

test("a liar's day is replaced by the honest answer: unplayed players lose their rows, played ones get the true diff, invented ones vanish, hidden ones appear", async () => {
  // day 1, honest
  await ingestChunk(db.sql, testChunk(DAY1, [{ id: 1001, battles: 10, wins: 5 }, { id: 1002, battles: 20, wins: 10 }, { id: 1003, battles: 30, wins: 15 }]));
  // day 2, a liar: +7 battles on 1001 (who did not play) and 1002 (who played 1), wins-only lie on 1003 (who played 2), an invented 1050, and a hidden new 1060
  await ingestChunk(db.sql, testChunk(DAY2, [
    { id: 1001, battles: 17, wins: 12 },
    { id: 1002, battles: 28, wins: 17 },
    { id: 1003, battles: 32, wins: 30 },
    { id: 1050, battles: 99, wins: 50 },
  ]));
  const honest: TestPlayer[] = [
    { id: 1001, battles: 10, wins: 5 },
    { id: 1002, battles: 21, wins: 10 },
    { id: 1003, battles: 32, wins: 16 },
    { id: 1060, battles: 3, wins: 1 },
  ];
  expect((await repairBatches(db.sql, repair(DAY2, honest))).rows).toBe(4);

  expect(await players()).toEqual([
    { id: 1001, battles: 10, wins: 5, first_seen: DAY1 },
    { id: 1002, battles: 21, wins: 10, first_seen: DAY1 },
    { id: 1003, battles: 32, wins: 16, first_seen: DAY1 },
    { id: 1060, battles: 3, wins: 1, first_seen: DAY2 },
  ]);
  expect(await day("total_battles", DAY2)).toEqual([
    { id: 1002, battles: 21, wins: 10 },
    { id: 1003, battles: 32, wins: 16 },
    { id: 1060, battles: 3, wins: 1 },
  ]);
  expect(await day("diff_battles", DAY2)).toEqual([
    { id: 1002, battles: 1, wins: 0 },
    { id: 1003, battles: 2, wins: 1 },
    { id: 1060, battles: 3, wins: 1 },
  ]);
  // day 1 is untouched
  expect((await day("total_battles", DAY1)).length).toBe(3);
  const [ledger] = await db.sql`select answered_by, check_state from run_batches where run_date = ${DAY2}`;
  expect(ledger).toEqual({ answered_by: "honest", check_state: "repaired" });
});

test("a repair on the first day keeps every honest player new, with totals and a diff for those who played", async () => {
  await ingestChunk(db.sql, testChunk(DAY1, [{ id: 1001, battles: 17 }, { id: 1002, battles: 0, lastBattleTime: 0 }]));
  await repairBatches(db.sql, repair(DAY1, [{ id: 1001, battles: 10 }, { id: 1002, battles: 0, lastBattleTime: 0 }]));
  expect(await day("total_battles", DAY1)).toEqual([{ id: 1001, battles: 10, wins: 4 }, { id: 1002, battles: 0, wins: 4 }]);
  expect(await day("diff_battles", DAY1)).toEqual([{ id: 1001, battles: 10, wins: 4 }]);
});

test("a repair can lower counters (two clients agreed the stored ones were wrong), and a second repair changes nothing", async () => {
  await ingestChunk(db.sql, testChunk(DAY1, [{ id: 1001, battles: 50 }]));
  const job = repair(DAY2, [{ id: 1001, battles: 40 }]);
  await repairBatches(db.sql, job);
  await repairBatches(db.sql, job);
  expect(await players()).toEqual([{ id: 1001, battles: 40, wins: 4, first_seen: DAY1 }]);
  expect(await day("diff_battles", DAY2)).toEqual([{ id: 1001, battles: -10, wins: 0 }]);
});

test("judging: stored rows a liar wrote are no honest view; stored rows equal to the honest ones are", async () => {
  await ingestChunk(db.sql, testChunk(DAY1, [{ id: 1001, battles: 10 }]));
  await ingestChunk(db.sql, testChunk(DAY2, [{ id: 1001, battles: 17 }]));
  const lied = await repairBatches(db.sql, repair(DAY2, [{ id: 1001, battles: 10 }], { judge: true, storedAt: [Date.now() - 60_000] }));
  expect(lied.judgements?.[0]).toMatch(/account 1001: battles 10 in the later answer, 17 in the earlier one/);
  const fine = await repairBatches(db.sql, repair(DAY2, [{ id: 1001, battles: 10 }], { judge: true, storedAt: [Date.now() - 60_000] }));
  expect(fine.judgements).toEqual([undefined]);
});

test("a failed batch that is repaired leaves failed_batches", async () => {
  await db.sql`insert into failed_batches (run_date, platform, start, "end", reason, attempts) values (${DAY2}, 'xbox', 1000, 1100, 'x', 3)`;
  await repairBatches(db.sql, repair(DAY2, [{ id: 1001, battles: 10 }]));
  expect((await db.sql`select count(*)::int as n from failed_batches`)[0]!.n).toBe(0);
});

test("through a real DB helper worker (its own connection and types) a repair comes out the same", async () => {
  const { HelperPool } = await import("../../server/src/db/pool.ts");
  await ingestChunk(db.sql, testChunk(DAY1, [{ id: 1001, battles: 10 }, { id: 1002, battles: 20 }]));
  await ingestChunk(db.sql, testChunk(DAY2, [{ id: 1001, battles: 17 }, { id: 1002, battles: 28 }]));
  const done = Promise.withResolvers<unknown>();
  const pool = new HelperPool({
    url: db.url,
    size: 1,
    events: { written: (_id, outcome) => done.resolve(outcome), retrying: () => {}, blocked: (_c, _a, e) => done.reject(new Error(e)), abandoned: (_c, e) => done.reject(new Error(e)) },
  });
  await pool.start();
  try {
    const job = repair(DAY2, [{ id: 1001, battles: 10 }, { id: 1002, battles: 21 }], { judge: true, storedAt: [Date.now() - 60_000] });
    pool.submit({ ...job, players: packColumns(job.players) });
    const outcome = (await done.promise) as { judgements?: (string | undefined)[] };
    expect(outcome.judgements?.[0]).toMatch(/account 1001: battles 10 in the later answer, 17 in the earlier one/);
  } finally {
    await pool.stop();
  }
  expect(await day("total_battles", DAY2)).toEqual([{ id: 1002, battles: 21, wins: 4 }]);
  expect(await day("diff_battles", DAY2)).toEqual([{ id: 1002, battles: 1, wins: 0 }]);
});
