/** The ingest transaction: partitions, the ledger written with the rows, and concurrent writers. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import postgres from "postgres";
import { openClient } from "../../server/src/db/client.ts";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { ingestChunk, MissingPartitionError } from "../../server/src/db/queries/ingest-chunk.ts";
import { createTestDatabase, testChunk, type TestDatabase, type TestPlayer } from "../support/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);
afterAll(() => db.drop(), 60_000);
beforeEach(async () => {
  await db.sql`truncate players, total_battles, diff_battles, run_batches`;
}, 60_000);

const partitions = async () =>
  (await db.sql`
    select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent in ('total_battles'::regclass, 'diff_battles'::regclass) order by 1`).map((r) => r.relname);

test("ensurePartitions creates the run date's and the next day's partitions, once", async () => {
  await ensurePartitions(db.sql, "2032-12-31");
  await ensurePartitions(db.sql, "2032-12-31");
  await Promise.all([ensurePartitions(db.sql, "2033-01-01"), ensurePartitions(db.sql, "2033-01-01")]);
  expect(await partitions()).toEqual(
    ["20321231", "20330101", "20330102"].flatMap((d) => [`diff_battles_${d}`, `total_battles_${d}`]).sort(),
  );
});

test("an ingest for a date without partitions fails clearly and writes nothing", async () => {
  const chunk = testChunk("2040-02-29", [{ id: 1, battles: 3 }], [{ platform: "xbox", start: 0, end: 100, found: 1, maxAccountId: 1 }]);
  const error = await ingestChunk(db.sql, chunk).catch((e) => e);
  expect(error).toBeInstanceOf(MissingPartitionError);
  expect(error.message).toBe('no total_battles/diff_battles partition for run date 2040-02-29: call ensurePartitions(sql, "2040-02-29") before ingesting');
  expect([...(await db.sql`select * from players`)]).toEqual([]);
  expect([...(await db.sql`select * from run_batches`)]).toEqual([]);

  await ensurePartitions(db.sql, "2040-02-29");
  expect(await ingestChunk(db.sql, chunk)).toEqual({ rows: 1, batches: 1, changed: 1 });
});

test("a failing ingest leaves no run_batches row: the ledger commits with the rows or not at all", async () => {
  await ensurePartitions(db.sql, "2031-06-01");
  const bad = testChunk("2031-06-01", [{ id: 1 }, { id: 2 }], [{ platform: "ps", start: 0, end: 100, found: 2, maxAccountId: 2 }]);
  (bad.players.console as string[])[1] = "pc"; // violates players_console_check
  await expect(ingestChunk(db.sql, bad)).rejects.toThrow(/players_console_check/);
  expect([...(await db.sql`select * from run_batches`)]).toEqual([]);
  expect([...(await db.sql`select * from players`)]).toEqual([]);
});

test("batches are recorded with what was found; a batch committed before is not counted again", async () => {
  await ensurePartitions(db.sql, "2031-06-01");
  const batches = [
    { platform: "xbox" as const, start: 200, end: 300, found: 0, maxAccountId: null },
    { platform: "xbox" as const, start: 100, end: 200, found: 2, maxAccountId: 150 },
  ];
  expect(await ingestChunk(db.sql, testChunk("2031-06-01", [{ id: 120 }, { id: 150 }], batches))).toEqual({ rows: 2, batches: 2, changed: 2 });
  expect(await ingestChunk(db.sql, testChunk("2031-06-01", [], batches))).toEqual({ rows: 0, batches: 0, changed: 0 });
  expect([...(await db.sql`select platform, start, "end", found, max_account_id from run_batches order by start`)]).toEqual([
    { platform: "xbox", start: 100, end: 200, found: 2, max_account_id: 150 },
    { platform: "xbox", start: 200, end: 300, found: 0, max_account_id: null },
  ]);
});

test("a malformed chunk is refused before it reaches the database", async () => {
  const chunk = testChunk("2031-06-01", [{ id: 1 }, { id: 2 }]);
  chunk.players.battles.pop();
  await expect(ingestChunk(db.sql, chunk)).rejects.toThrow("ingest chunk: players.battles has 1 values but players.accountId has 2");
  await expect(ingestChunk(db.sql, testChunk("31.06.2031", []))).rejects.toThrow('run date must be a UTC day as YYYY-MM-DD, got "31.06.2031"');
});

test("two connections ingesting overlapping chunks in opposite orders neither deadlock nor lose a change", async () => {
  const [day1, day2] = ["2031-07-01", "2031-07-02"];
  await ensurePartitions(db.sql, day1);
  const ids = Array.from({ length: 600 }, (_, i) => 1000 + i);
  await ingestChunk(db.sql, testChunk(day1, ids.map((id) => ({ id, battles: 100 }))));

  const a = openClient(db.url, { max: 1 });
  const b = openClient(db.url, { max: 1 });
  try {
    for (let round = 1; round <= 25; round++) {
      // overlapping halves, one ascending with duplicates, one descending: unsorted input on both sides.
      // Both write the same battles where they overlap: counters never move back, whichever commits last.
      const first: TestPlayer[] = ids.slice(0, 400).map((id) => ({ id, battles: 100 + round }));
      const second: TestPlayer[] = ids.slice(200).reverse().map((id) => ({ id, battles: 100 + round }));
      first.push(...first.slice(0, 50).map((p) => ({ ...p, battles: p.battles! + 1 })));
      await Promise.all([ingestChunk(a, testChunk(day2, first)), ingestChunk(b, testChunk(day2, second))]);
    }
  } finally {
    await a.end();
    await b.end();
  }

  // whichever writer came last, the day's rows agree with players: totals = players, diff = players - day 1
  const rows = await db.sql`
    select p.account_id, p.battles, t.battles as total, d.battles as diff
    from players p
    left join total_battles t on t.account_id = p.account_id and t.date = ${day2}::date
    left join diff_battles d on d.account_id = p.account_id and d.date = ${day2}::date
    order by p.account_id`;
  expect(rows.length).toBe(600);
  for (const r of rows) {
    expect(r.total).toBe(r.battles);
    expect(r.diff).toBe(r.battles - 100);
  }
});

test("a connection that first loaded only new players still joins old and new rows with a hash join the next day", async () => {
  // A first load fires the UPDATE trigger with empty transition tables; its plan
  // then assumed one row a side (a nested loop: 4 s instead of 30 ms per chunk).
  const [day1, day2] = ["2031-07-10", "2031-07-11"];
  await ensurePartitions(db.sql, day1);
  const plans: string[] = [];
  const conn = postgres(db.url, {
    max: 1,
    connection: { TimeZone: "UTC" },
    onnotice: (n) => void plans.push(String(n.message)),
  });
  try {
    for (const setting of ["load 'auto_explain'", "set auto_explain.log_min_duration = 0", "set auto_explain.log_nested_statements = on", "set auto_explain.log_level = notice"]) {
      await conn.unsafe(setting);
    }
    for (let chunk = 0; chunk < 8; chunk++) {
      await ingestChunk(conn, testChunk(day1, Array.from({ length: 500 }, (_, i) => ({ id: chunk * 500 + i, battles: 1 }))));
    }
    plans.length = 0;
    await ingestChunk(conn, testChunk(day2, Array.from({ length: 4000 }, (_, i) => ({ id: i, battles: 2 }))));
  } finally {
    await conn.end();
  }
  const joins = plans.filter((p) => p.includes("old_players"));
  // the check that nothing moves back, then total and diff for first changes of the day and for repeats
  expect(joins.length).toBe(5);
  for (const plan of joins) {
    expect(plan).toContain("Hash Join");
    expect(plan).not.toContain("Nested Loop");
  }
  expect((await db.sql`select count(*)::int as n from diff_battles where date = ${day2}`)[0]!.n).toBe(4000);
});
