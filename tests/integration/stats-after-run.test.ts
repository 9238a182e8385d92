/**
 * The statistics step after a run: the date is computed and exported; dates
 * crawled before the statistics existed are pointed out; an export that
 * cannot be written is an ERROR line (and the run exits 1), never lost data.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStats, statsAfterRun } from "../../server/src/stats/after-run.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { ingestTinyDay } from "../support/ingest-day.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), "wotc-stats-after-"));
  // Two dates crawled by a tracker older than the statistics: no daily_stats rows.
  await ingestTinyDay(db, "2026-03-01", [{ id: 101, created: "2015-05-01T10:00:00Z", battles: 10 }]);
  await ingestTinyDay(db, "2026-03-02", [{ id: 101, created: "2015-05-01T10:00:00Z", battles: 12 }]);
  await ingestTinyDay(db, "2026-03-03", [{ id: 101, created: "2015-05-01T10:00:00Z", battles: 15 }]);
}, 60_000);
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

test("the run's date is computed and exported; the earlier dates without statistics are pointed out", async () => {
  const report = await statsAfterRun({ sql: db.sql, exportDir: join(dir, "site") }, "2026-03-03");
  expect(report.error).toBeUndefined();
  expect(report.days.map((d) => [d.date, d.previousDate, d.complete])).toEqual([["2026-03-03", "2026-03-02", true]]);
  const lines = describeStats(report);
  expect(lines[0]).toMatch(/^statistics 2026-03-03 \(complete, 1 day after 2026-03-02\) in [\d.]+ s: xbox active 1, battles 3, new 0, newly tracked 0; ps active 0/);
  expect(lines[1]).toBe("statistics: 2 earlier crawled dates have none yet; `bun run server stats recompute` computes them");
  expect(lines[2]).toBe(`static export: 1 date (last 2026-03-03) in ${report.export!.files.length} files under ${join(dir, "site")} (the page: index.html; the figures: data/)`);
  expect(await readFile(join(dir, "site", "data", "daily.csv"), "utf8")).toStartWith("date,platform,");
});

test("an export directory that cannot be written is an ERROR naming it; the figures are stored all the same", async () => {
  const blocked = join(dir, "not-a-directory");
  await writeFile(blocked, "a file where the export should go");
  const report = await statsAfterRun({ sql: db.sql, exportDir: blocked }, "2026-03-03");
  expect(report.error).toStartWith(`writing the static export to ${blocked} failed: `);
  expect(describeStats(report).at(-1)).toStartWith(`statistics: ERROR writing the static export to ${blocked} failed: `);
  expect((await db.sql`select count(*)::int as n from daily_stats where date = '2026-03-03'`)[0]!.n).toBe(3);
});
