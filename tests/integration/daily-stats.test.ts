/**
 * The daily statistics on a handful of accounts whose every figure can be
 * worked out by hand from the definitions (issue 14): the days are written
 * through the production ingest (triggers and ledger), then computed in SQL.
 * The end-to-end test (tests/e2e/stats.test.ts) checks the same against the
 * simulator's oracle over real crawls.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountAgeRows, dailyStatsRows } from "../../server/src/db/queries/daily-stats-rows.ts";
import { computeAfterRun, recomputeAll } from "../../server/src/stats/compute.ts";
import type { DailyStatsRow } from "../../server/src/stats/columns.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { setBatchAside } from "../support/failed-batches.ts";
import { TINY_PS_BATCH as PS_BATCH, TINY_XBOX_BATCHES as XBOX_BATCHES, ingestTinyDay as crawl } from "../support/ingest-day.ts";

const row = (rows: DailyStatsRow[], date: string, platform: string) => rows.find((r) => r.date === date && r.platform === platform)!;
const figures = (r: DailyStatsRow) => ({
  active: r.active_accounts,
  battles: r.battles,
  new: r.new_accounts,
  fivePlus: r.accounts_5plus,
  newlyTracked: r.newly_tracked,
  span: r.span_days,
  complete: r.complete,
});
const buckets = (r: DailyStatsRow) => [r.active_1_4, r.active_5_9, r.active_10_19, r.active_20_49, r.active_50plus];

describe("daily statistics over five crawled dates, one missed, one with a failed batch", () => {
  let db: TestDatabase;
  let rows: DailyStatsRow[];
  beforeAll(async () => {
    db = await createTestDatabase();
    // 2026-03-01, the first date: four accounts, one created that very day.
    await crawl(db, "2026-03-01", [
      { id: 101, created: "2015-05-01T10:00:00Z", battles: 10 },
      { id: 102, created: "2020-01-01T00:00:00Z", battles: 0 },
      { id: 201, created: "2026-03-01T08:00:00Z", battles: 3 },
      { id: 1001, created: "2018-07-01T00:00:00Z", battles: 50 },
    ]);
    await computeAfterRun(db.sql, "2026-03-01");
    // 2026-03-02: three known accounts play, two new ones are created (one plays), one old account turns up.
    await crawl(db, "2026-03-02", [
      { id: 101, created: "2015-05-01T10:00:00Z", battles: 13 },
      { id: 102, created: "2020-01-01T00:00:00Z", battles: 0 },
      { id: 201, created: "2026-03-01T08:00:00Z", battles: 60 },
      { id: 202, created: "2026-03-02T05:00:00Z", battles: 7 },
      { id: 203, created: "2026-03-02T06:00:00Z", battles: 0 },
      { id: 204, created: "2019-04-01T00:00:00Z", battles: 500 },
      { id: 1001, created: "2018-07-01T00:00:00Z", battles: 70 },
    ]);
    await computeAfterRun(db.sql, "2026-03-02");
    // 2026-03-03 is not crawled. 2026-03-04: the PlayStation batch fails and is set aside.
    await crawl(
      db,
      "2026-03-04",
      [
        { id: 101, created: "2015-05-01T10:00:00Z", battles: 14 },
        { id: 205, created: "2026-03-03T12:00:00Z", battles: 2 },
        { id: 206, created: "2026-03-02T23:00:00Z", battles: 4 },
      ],
      XBOX_BATCHES,
    );
    await setBatchAside(db.sql, { date: "2026-03-04", ...PS_BATCH });
    await computeAfterRun(db.sql, "2026-03-04");
    // 2026-03-05: the PlayStation account is crawled again, three days after its last crawl.
    await crawl(db, "2026-03-05", [{ id: 1001, created: "2018-07-01T00:00:00Z", battles: 75 }]);
    await computeAfterRun(db.sql, "2026-03-05");
    await crawl(db, "2026-03-06", [{ id: 101, created: "2015-05-01T10:00:00Z", battles: 15 }]);
    await computeAfterRun(db.sql, "2026-03-06");
    rows = await dailyStatsRows(db.sql);
  }, 60_000);
  afterAll(() => db?.drop(), 60_000);

  test("the first date: every account newly tracked, no activity", () => {
    expect(figures(row(rows, "2026-03-01", "xbox"))).toEqual({ active: 0, battles: 0, new: 0, fivePlus: 0, newlyTracked: 3, span: null, complete: true });
    expect(figures(row(rows, "2026-03-01", "ps"))).toEqual({ active: 0, battles: 0, new: 0, fivePlus: 0, newlyTracked: 1, span: null, complete: true });
    expect(figures(row(rows, "2026-03-01", "all"))).toEqual({ active: 0, battles: 0, new: 0, fivePlus: 0, newlyTracked: 4, span: null, complete: true });
    expect(row(rows, "2026-03-01", "all").battles_per_active_account).toBeNull();
  });

  test("a normal date: increases of known accounts, new accounts whole, an old account first seen counts only as newly tracked", () => {
    const xbox = row(rows, "2026-03-02", "xbox");
    // 101 played 3, 201 played 57, 202 is new with 7; 203 is new without battles; 204 (created 2019) is newly tracked.
    expect(figures(xbox)).toEqual({ active: 3, battles: 67, new: 2, fivePlus: 2, newlyTracked: 1, span: 1, complete: true });
    expect(buckets(xbox)).toEqual([1, 1, 0, 0, 1]);
    expect(xbox.battles_per_active_account).toBe(22.33);
    const ps = row(rows, "2026-03-02", "ps");
    expect(figures(ps)).toEqual({ active: 1, battles: 20, new: 0, fivePlus: 1, newlyTracked: 0, span: 1, complete: true });
    expect(buckets(ps)).toEqual([0, 0, 0, 1, 0]);
    expect(figures(row(rows, "2026-03-02", "all"))).toEqual({ active: 4, battles: 87, new: 2, fivePlus: 3, newlyTracked: 1, span: 1, complete: true });
    expect(row(rows, "2026-03-02", "all").previous_date).toBe("2026-03-01");
  });

  test("after a missed date the span is 2 and accounts created since the last crawl are new; a failed batch makes the date incomplete", () => {
    const xbox = row(rows, "2026-03-04", "xbox");
    // 205 was created on the missed date (new); 206 the evening of the previous crawl (newly tracked).
    expect(figures(xbox)).toEqual({ active: 2, battles: 3, new: 1, fivePlus: 0, newlyTracked: 1, span: 2, complete: false });
    const ps = row(rows, "2026-03-04", "ps");
    expect(figures(ps)).toEqual({ active: 0, battles: 0, new: 0, fivePlus: 0, newlyTracked: 0, span: 2, complete: false });
    expect([ps.batches, ps.batches_committed, ps.batches_failed]).toEqual([1, 0, 1]);
    expect([xbox.batches, xbox.batches_committed, xbox.batches_failed]).toEqual([2, 2, 0]);
  });

  test("the date after a failed batch is incomplete (its accounts show more than a day's play); the one after is complete again", () => {
    expect(figures(row(rows, "2026-03-05", "ps"))).toEqual({ active: 1, battles: 5, new: 0, fivePlus: 1, newlyTracked: 0, span: 1, complete: false });
    expect(figures(row(rows, "2026-03-06", "xbox"))).toEqual({ active: 1, battles: 1, new: 0, fivePlus: 0, newlyTracked: 0, span: 1, complete: true });
  });

  test("active accounts by creation year sum to the date's active accounts", async () => {
    const ages = (await accountAgeRows(db.sql, { from: "2026-03-02", to: "2026-03-02" })).map((r) => [r.platform, r.created_year, r.active_accounts, r.battles]);
    expect(ages).toEqual([
      ["xbox", 2015, 1, 3],
      ["xbox", 2026, 2, 64],
      ["ps", 2018, 1, 20],
      ["all", 2015, 1, 3],
      ["all", 2018, 1, 20],
      ["all", 2026, 2, 64],
    ]);
  });

  test("recomputing every stored date gives the same rows; from/to select dates", async () => {
    const days = await recomputeAll(db.sql);
    expect(days.map((d) => d.date)).toEqual(["2026-03-01", "2026-03-02", "2026-03-04", "2026-03-05", "2026-03-06"]);
    expect(await dailyStatsRows(db.sql)).toEqual(rows);
    expect((await dailyStatsRows(db.sql, { from: "2026-03-02", to: "2026-03-04" })).map((r) => r.date)).toEqual([
      "2026-03-02", "2026-03-02", "2026-03-02", "2026-03-04", "2026-03-04", "2026-03-04",
    ]);
  });
});
