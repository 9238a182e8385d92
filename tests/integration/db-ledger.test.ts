/** The run ledger: a run row per date, the committed batches, and the end-of-run summary. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { addRunErrors } from "../../server/src/db/queries/add-run-errors.ts";
import { committedBatches, isCommitted } from "../../server/src/db/queries/committed-batches.ts";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { finishRun } from "../../server/src/db/queries/finish-run.ts";
import { ingestChunk } from "../../server/src/db/queries/ingest-chunk.ts";
import { runSummary } from "../../server/src/db/queries/run-summary.ts";
import { startOrResumeRun } from "../../server/src/db/queries/start-or-resume-run.ts";
import { createTestDatabase, testChunk, type TestDatabase } from "../support/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);
afterAll(() => db.drop(), 60_000);

const ranges = { xbox: { min: 5000, max: 15_500_000 }, ps: { min: 1_073_740_000, max: 1_085_000_000 } };

test("a restarted run resumes with the ranges it started with", async () => {
  const first = await startOrResumeRun(db.sql, "2031-08-01", ranges);
  expect(first).toMatchObject({ runDate: "2031-08-01", state: "running", ranges, finishedAt: null, errors: 0, resumed: false });
  const grown = { ...ranges, xbox: { min: 5000, max: 15_700_000 } };
  const again = await startOrResumeRun(db.sql, "2031-08-01", grown);
  expect(again).toEqual({ ...first, resumed: true });
  expect((await startOrResumeRun(db.sql, "2031-08-02", grown)).ranges).toEqual(grown);
});

test("committed batches come back per platform, and only for their date", async () => {
  await ensurePartitions(db.sql, "2031-08-03");
  await ensurePartitions(db.sql, "2031-08-05");
  const xbox = (start: number) => ({ platform: "xbox" as const, start, end: start + 100, found: 0, maxAccountId: null });
  await ingestChunk(db.sql, testChunk("2031-08-03", [], [xbox(5200), xbox(5000), { ...xbox(1_073_740_000), platform: "ps" }]));
  await ingestChunk(db.sql, testChunk("2031-08-05", [], [xbox(5100)]));

  const committed = await committedBatches(db.sql, "2031-08-03");
  expect([...committed.xbox]).toEqual([5000, 5200]);
  expect([...committed.ps]).toEqual([1_073_740_000]);
  expect(isCommitted(committed, "xbox", 5200)).toBe(true);
  expect(isCommitted(committed, "xbox", 5100)).toBe(false);
  expect(isCommitted(committed, "ps", 5000)).toBe(false);
  expect(await committedBatches(db.sql, "2031-08-04")).toEqual({ xbox: new Float64Array(0), ps: new Float64Array(0) });
});

test("a large ledger loads as compact sorted arrays", async () => {
  const starts = Array.from({ length: 30_000 }, (_, i) => 20_000_000 + i * 100);
  await db.sql`
    insert into run_batches (run_date, platform, start, "end", found)
    select '2031-08-10', 'xbox', s, s + 100, 0 from unnest(${starts}::int8[]) s`;
  const committed = await committedBatches(db.sql, "2031-08-10");
  expect(committed.xbox.length).toBe(30_000);
  expect(committed.xbox[29_999]).toBe(starts[29_999]!);
  expect(starts.every((s) => isCommitted(committed, "xbox", s))).toBe(true);
  expect(isCommitted(committed, "xbox", 20_000_050)).toBe(false);
});

test("the summary counts ids queried, players found, new and active players, battles and the highest id", async () => {
  const [day1, day2] = ["2031-09-01", "2031-09-02"];
  await ensurePartitions(db.sql, day1);
  await ingestChunk(db.sql, testChunk(day1, [{ id: 5001, battles: 10 }, { id: 5002, battles: 0 }], [
    { platform: "xbox", start: 5000, end: 5100, found: 2, maxAccountId: 5002 },
  ]));
  await startOrResumeRun(db.sql, day2, ranges);
  await ingestChunk(db.sql, testChunk(day2, [
    { id: 5001, battles: 14 }, // played 4
    { id: 5002, battles: 0 }, // idle
    { id: 5003, battles: 6 }, // new and active
    { id: 5004, battles: 0 }, // new, idle
    { id: 5005, battles: 2, nickname: "crossplay-p", console: "ps" }, // a PlayStation player found in the Xbox range
  ], [
    { platform: "xbox", start: 5000, end: 5100, found: 5, maxAccountId: 5005 },
    { platform: "xbox", start: 5100, end: 5200, found: 0, maxAccountId: null },
  ]));
  await ingestChunk(db.sql, testChunk(day2, [{ id: 1_073_740_001, battles: 1, console: "ps" }], [
    { platform: "ps", start: 1_073_740_000, end: 1_073_740_100, found: 1, maxAccountId: 1_073_740_001 },
  ]));

  const summary = await runSummary(db.sql, day2);
  expect(summary).toEqual({
    xbox: { idsQueried: 200, playersFound: 5, newPlayers: 2, activePlayers: 2, battlesPlayed: 10, maxAccountId: 5005 },
    ps: { idsQueried: 100, playersFound: 1, newPlayers: 2, activePlayers: 2, battlesPlayed: 3, maxAccountId: 1_073_740_001 },
  });

  // errors are added as they happen, by kind, and a restart reads them back
  await addRunErrors(db.sql, day2, { "refused results: too fast": 2 });
  await addRunErrors(db.sql, day2, { "refused results: too fast": 1, "batches set aside as failed": 1 });
  await finishRun(db.sql, day2, { summary });
  const [run] = await db.sql`select state, errors, error_counts, summary, finished_at from runs where run_date = ${day2}`;
  expect(run).toMatchObject({ state: "complete", errors: 4, error_counts: { "refused results: too fast": 3, "batches set aside as failed": 1 }, summary });
  expect(run!.finished_at).toBeInstanceOf(Date);
  expect(await startOrResumeRun(db.sql, day2, ranges)).toMatchObject({
    state: "complete",
    resumed: true,
    errors: 4,
    errorCounts: { "refused results: too fast": 3, "batches set aside as failed": 1 },
  });
  await expect(finishRun(db.sql, "2031-09-30", { summary })).rejects.toThrow("finishing run 2031-09-30: no such run");
});
