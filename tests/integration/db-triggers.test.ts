/**
 * What the players triggers leave in total_battles and diff_battles after
 * ingests, checked the way an analyst would: by reading the rows for a date.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { ingestChunk } from "../../server/src/db/queries/ingest-chunk.ts";
import { createTestDatabase, testChunk, type TestDatabase } from "../support/db.ts";

// Dates far from today: a trigger that wrote current_date would show up at once.
const DAY1 = "2031-05-04";
const DAY2 = "2031-05-05";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await ensurePartitions(db.sql, DAY1); // DAY1 and DAY2
}, 60_000);
afterAll(() => db.drop(), 60_000);
beforeEach(async () => {
  await db.sql`truncate players, total_battles, diff_battles, run_batches`;
}, 60_000);

const counters = (table: "total_battles" | "diff_battles", date: string) =>
  db.sql
    .unsafe(
      `select account_id as id, console, battles, spotted, wins, damage_dealt as damage, frags, dropped_capture_points as capture
       from ${table} where date = $1 order by account_id`,
      [date],
    )
    .then((rows) => [...rows] as Record<string, unknown>[]);

describe("a new player", () => {
  test("gets a players row, totals for the run date, and a diff equal to his totals", async () => {
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 7, nickname: "tanker-p", console: "ps", battles: 12, spotted: 3, wins: 6, damage: 9_000_000_000, frags: 9, capture: 2 }]));
    const expected = [{ id: 7, console: "ps", battles: 12, spotted: 3, wins: 6, damage: 9_000_000_000, frags: 9, capture: 2 }];
    expect(await counters("total_battles", DAY1)).toEqual(expected);
    expect(await counters("diff_battles", DAY1)).toEqual(expected);
    const [player] = await db.sql`select nickname, console, first_seen::text, last_battle_time, created_at from players where account_id = 7`;
    expect(player).toEqual({
      nickname: "tanker-p",
      console: "ps",
      first_seen: DAY1,
      last_battle_time: new Date(1_700_000_000_000),
      created_at: new Date(1_400_000_000_000),
    });
  });

  test("with no battles gets totals but no diff row", async () => {
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 8, battles: 0, lastBattleTime: 0 }]));
    expect((await counters("total_battles", DAY1)).map((r) => r.id)).toEqual([8]);
    expect(await counters("diff_battles", DAY1)).toEqual([]);
    const [player] = await db.sql`select last_battle_time from players where account_id = 8`;
    expect(player!.last_battle_time).toBeNull();
  });
});

describe("the next day", () => {
  test("a player who played gets new totals and new minus old for every counter; one who did not gets nothing", async () => {
    await ingestChunk(db.sql, testChunk(DAY1, [
      { id: 1, battles: 100, spotted: 50, wins: 40, damage: 100_000, frags: 70, capture: 30 },
      { id: 2, battles: 200 },
    ]));
    const before = await db.sql`select xmin::text, * from players where account_id = 2`;

    const result = await ingestChunk(db.sql, testChunk(DAY2, [
      { id: 1, battles: 103, spotted: 52, wins: 42, damage: 103_500, frags: 74, capture: 31 },
      { id: 2, battles: 200 },
    ]));

    expect(result).toEqual({ rows: 2, batches: 0, changed: 1 });
    expect(await counters("total_battles", DAY2)).toEqual([
      { id: 1, console: "xbox", battles: 103, spotted: 52, wins: 42, damage: 103_500, frags: 74, capture: 31 },
    ]);
    expect(await counters("diff_battles", DAY2)).toEqual([
      { id: 1, console: "xbox", battles: 3, spotted: 2, wins: 2, damage: 3_500, frags: 4, capture: 1 },
    ]);
    // the unchanged player's row was not rewritten at all (same tuple version)
    expect(await db.sql`select xmin::text, * from players where account_id = 2`).toEqual(before);
    // day 1 is untouched
    expect((await counters("total_battles", DAY1)).map((r) => r.battles)).toEqual([100, 200]);
    const [p1] = await db.sql`select battles, first_seen::text from players where account_id = 1`;
    expect(p1).toEqual({ battles: 103, first_seen: DAY1 });
  });

  test("a player who changes twice on one day keeps the latest totals and the whole day's diff", async () => {
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 5, battles: 10, wins: 5, damage: 1000 }]));
    await ingestChunk(db.sql, testChunk(DAY2, [{ id: 5, battles: 12, wins: 6, damage: 1500 }]));
    await ingestChunk(db.sql, testChunk(DAY2, [{ id: 5, battles: 15, wins: 8, damage: 2600 }]));

    const [total] = await counters("total_battles", DAY2);
    const [diff] = await counters("diff_battles", DAY2);
    expect(total).toMatchObject({ battles: 15, wins: 8, damage: 2600 });
    expect(diff).toMatchObject({ battles: 5, wins: 3, damage: 1600 });
  });

  test("a player new today who changes again today has a diff equal to his latest totals", async () => {
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 6, battles: 0, spotted: 0, wins: 0, damage: 0, frags: 0, capture: 0 }]));
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 6, battles: 4, wins: 1 }]));
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 6, battles: 9, wins: 2 }]));
    expect(await counters("diff_battles", DAY1)).toEqual(await counters("total_battles", DAY1));
    expect((await counters("diff_battles", DAY1))[0]).toMatchObject({ battles: 9, wins: 2 });
  });
});

test("an earlier date ingested after a later one writes its own rows and never fails on an existing row", async () => {
  await ingestChunk(db.sql, testChunk(DAY1, [{ id: 9, battles: 10 }]));
  await ingestChunk(db.sql, testChunk(DAY2, [{ id: 9, battles: 12 }]));
  await ingestChunk(db.sql, testChunk(DAY1, [{ id: 9, battles: 15 }])); // a late re-run of day 1
  await ingestChunk(db.sql, testChunk(DAY2, [{ id: 9, battles: 16 }]));
  expect((await counters("total_battles", DAY1))[0]).toMatchObject({ battles: 15 });
  expect((await counters("diff_battles", DAY1))[0]).toMatchObject({ battles: 13 }); // 10, then +3
  expect((await counters("total_battles", DAY2))[0]).toMatchObject({ battles: 16 });
  expect((await counters("diff_battles", DAY2))[0]).toMatchObject({ battles: 3 }); // +2, then +1
  const [player] = await db.sql`select battles, last_changed::text from players where account_id = 9`;
  expect(player).toEqual({ battles: 16, last_changed: DAY2 });
});

test("ingesting the same chunk twice on the same day changes nothing", async () => {
  const chunk = testChunk(DAY1, [{ id: 1, battles: 5 }, { id: 2, battles: 0 }, { id: 3, battles: 9 }], [
    { platform: "xbox", start: 0, end: 100, found: 3, maxAccountId: 3 },
  ]);
  await ingestChunk(db.sql, chunk);
  const snapshot = async () => ({
    players: await db.sql`select xmin::text, * from players order by account_id`,
    totals: await db.sql`select xmin::text, * from total_battles order by account_id`,
    diffs: await db.sql`select xmin::text, * from diff_battles order by account_id`,
    batches: await db.sql`select xmin::text, * from run_batches`,
  });
  const before = await snapshot();
  expect(await ingestChunk(db.sql, chunk)).toEqual({ rows: 3, batches: 0, changed: 0 });
  expect(await snapshot()).toEqual(before);
});

test("a chunk that repeats an account id keeps its last row", async () => {
  const result = await ingestChunk(db.sql, testChunk(DAY1, [
    { id: 30, battles: 1 },
    { id: 10, battles: 1 },
    { id: 30, battles: 3 },
    { id: 20, battles: 2 },
    { id: 10, battles: 5 },
  ]));
  expect(result.rows).toBe(3);
  expect((await db.sql`select account_id, battles from players order by 1`).map((r) => [r.account_id, r.battles])).toEqual([
    [10, 5],
    [20, 2],
    [30, 3],
  ]);
  expect((await counters("diff_battles", DAY1)).map((r) => [r.id, r.battles])).toEqual([
    [10, 5],
    [20, 2],
    [30, 3],
  ]);
});

test("writing players outside an ingest (no run date set) fails and says why", async () => {
  const write = db.sql`
    insert into players (account_id, nickname, console, created_at, updated_at, battles, spotted, wins, damage_dealt, frags, dropped_capture_points, last_api_pull, first_seen, last_changed)
    values (1, 'x', 'xbox', now(), now(), 1, 0, 0, 0, 0, 0, now(), current_date, current_date)`;
  expect(write).rejects.toThrow(/wotc\.run_date is not set/);
  await write.catch(() => undefined);
  expect([...(await db.sql`select * from players`)]).toEqual([]);
});

test("a manual update that leaves battles alone writes no total or diff row", async () => {
  await ingestChunk(db.sql, testChunk(DAY1, [{ id: 1, battles: 5 }]));
  await db.sql.begin(async (tx) => {
    await tx`select set_config('wotc.run_date', ${DAY2}, true)`;
    await tx`update players set nickname = 'renamed' where account_id = 1`;
  });
  expect(await counters("total_battles", DAY2)).toEqual([]);
  expect(await counters("diff_battles", DAY2)).toEqual([]);
});

describe("counters and times never move back", () => {
  test("a chunk that lowers a known player's battles or wins is refused whole, naming the accounts, and writes nothing", async () => {
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 1, battles: 50, wins: 20 }, { id: 2, battles: 50, wins: 20 }, { id: 3, battles: 50 }]));
    const lower = testChunk(DAY2, [{ id: 1, battles: 43, wins: 20 }, { id: 2, battles: 51, wins: 19 }, { id: 3, battles: 60 }]);
    const error = await ingestChunk(db.sql, lower).catch((e) => e);
    expect(error.code).toBe("WT001");
    expect(error.detail.split(",").map(Number).sort()).toEqual([1, 2]);
    expect(await counters("total_battles", DAY2)).toEqual([]);
    expect((await db.sql`select battles from players order by account_id`).map((r) => r.battles)).toEqual([50, 50, 50]);
  });

  test("an updated_at that moves back is refused too", async () => {
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 4, battles: 50 }]));
    const chunk = testChunk(DAY2, [{ id: 4, battles: 51 }]);
    chunk.players.updatedAt[0] = 1_600_000_000; // before the stored 1_700_000_100
    expect((await ingestChunk(db.sql, chunk).catch((e) => e)).code).toBe("WT001");
  });

  test("with wotc.repair on, the triggers write nothing: the repair writes the day's rows itself", async () => {
    await ingestChunk(db.sql, testChunk(DAY1, [{ id: 5, battles: 50 }]));
    await db.sql.begin(async (tx) => {
      await tx`select set_config('wotc.run_date', ${DAY2}, true), set_config('wotc.repair', 'on', true)`;
      await tx`update players set battles = 40 where account_id = 5`;
      await tx`insert into players (account_id, nickname, console, created_at, updated_at, battles, spotted, wins, damage_dealt, frags, dropped_capture_points, last_api_pull, first_seen, last_changed)
               values (6, 'x', 'xbox', now(), now(), 1, 0, 0, 0, 0, 0, now(), ${DAY2}, ${DAY2})`;
    });
    expect(await counters("total_battles", DAY2)).toEqual([]);
    expect(await counters("diff_battles", DAY2)).toEqual([]);
  });
});
