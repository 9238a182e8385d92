/** The simulated world behaves like a population of players, and the oracle agrees with it. */
import { describe, expect, test } from "bun:test";
import { COUNTERS } from "@wotc/schema/player";
import { addDays, dayStartSeconds } from "../support/wg-sim/days.ts";
import { defaultWorld, frontierOn, playerOn, playerRowOn, playerRowsIn, WorldDay } from "../support/wg-sim/model.ts";
import { expectedDatabase } from "../support/wg-sim/oracle.ts";

const world = defaultWorld(42);
const DAY = "2026-04-10";

describe("world model", () => {
  test("about half of the IDs exist, in both ID spaces, with the platform suffix on about 99% of names", () => {
    for (const [min, suffix] of [[5_000, "-x"], [1_073_740_000, "-p"]] as const) {
      const rows = playerRowsIn(world, min, min + 20_000, DAY);
      expect(rows.length / 20_000).toBeGreaterThan(0.48);
      expect(rows.length / 20_000).toBeLessThan(0.52);
      const suffixed = rows.filter((r) => r[1].endsWith(suffix)).length / rows.length;
      expect(suffixed).toBeGreaterThan(0.975);
      expect(suffixed).toBeLessThan(1);
    }
    expect(playerRowsIn(world, 1, 5_000, DAY)).toEqual([]);
  });

  test("the same (seed, id, day) gives the same player; another seed another one", () => {
    expect(playerOn(defaultWorld(42), 1_080_000_123, DAY)).toEqual(playerOn(world, 1_080_000_123, DAY));
    const other = playerRowsIn(defaultWorld(43), 5_000, 5_100, DAY);
    expect(other).not.toEqual(playerRowsIn(world, 5_000, 5_100, DAY));
  });

  test("from one day to the next counters never decrease and about 10% of players change", () => {
    let changed = 0;
    let players = 0;
    for (let day = 0; day < 4; day++) {
      const today = new WorldDay(world, addDays(DAY, day));
      const tomorrow = new WorldDay(world, addDays(DAY, day + 1));
      for (let id = 2_000_000; id < 2_010_000; id++) {
        const [a, b] = [playerRowOn(world, id, today.day), playerRowOn(world, id, tomorrow.day)];
        if (a === null) continue;
        players++;
        expect(b).not.toBeNull();
        for (let i = 5; i < 11; i++) expect(b![i]).toBeGreaterThanOrEqual(a[i] as number);
        if (b![5] !== a[5]) {
          changed++;
          expect(b![3]).toBeGreaterThan(a[3]); // a new last battle
          expect(b![3]).toBeGreaterThanOrEqual(dayStartSeconds(tomorrow.day));
        } else {
          expect(b).toEqual(a); // nothing moves without a battle
        }
      }
    }
    expect(changed / players).toBeGreaterThan(0.08);
    expect(changed / players).toBeLessThan(0.13);
  });

  test("counters are consistent: wins <= battles, times ordered, never-played accounts at zero", () => {
    const rows = playerRowsIn(world, 10_000_000, 10_005_000, DAY);
    let neverPlayed = 0;
    for (const [id, , createdAt, lastBattle, updatedAt, battles, spotted, wins, damage, frags, dropped] of rows) {
      expect(wins).toBeLessThanOrEqual(battles);
      expect(createdAt).toBeLessThanOrEqual(lastBattle);
      expect(lastBattle).toBeLessThanOrEqual(updatedAt);
      expect(updatedAt).toBeLessThan(dayStartSeconds(addDays(DAY, 1)));
      if (battles === 0) {
        neverPlayed++;
        expect([spotted, wins, damage, frags, dropped]).toEqual([0, 0, 0, 0, 0]);
        expect(lastBattle).toBe(createdAt);
      } else {
        expect(damage / battles).toBeGreaterThanOrEqual(100);
        expect(damage / battles).toBeLessThanOrEqual(3000);
      }
      expect(id).toBeGreaterThan(0);
    }
    expect(neverPlayed / rows.length).toBeGreaterThan(0.02);
    expect(neverPlayed / rows.length).toBeLessThan(0.1);
  });

  test("new accounts appear on later days, above the previous frontier, created that day", () => {
    const epoch = world.epoch;
    const day5 = addDays(epoch, 5);
    const f0 = frontierOn(world, "xbox", epoch);
    const f5 = frontierOn(world, "xbox", day5);
    expect(f5 - f0).toBe(5 * world.platforms.xbox.growthPerDay);
    const onEpoch = playerRowsIn(world, f0 + 1, f5 + 1, epoch);
    const onDay5 = playerRowsIn(world, f0 + 1, f5 + 1, day5);
    expect(onEpoch.length).toBeLessThan(20); // only the rare early accounts
    expect(onDay5.length / (f5 - f0)).toBeGreaterThan(0.45);
    for (const row of onDay5) {
      const id = row[0];
      if (onEpoch.some((r) => r[0] === id)) continue;
      const createdDay = Math.ceil((id - f0) / world.platforms.xbox.growthPerDay);
      expect([id, row[2]]).toEqual([id, expect.any(Number)]);
      expect(row[2]).toBeGreaterThanOrEqual(dayStartSeconds(addDays(epoch, createdDay)) - 86_400 * 10); // early ones: earlier
      expect(row[2]).toBeLessThan(dayStartSeconds(addDays(epoch, createdDay + 1)));
    }
    for (const row of playerRowsIn(world, 5_000, 50_000, day5)) expect(row[2]).toBeLessThan(dayStartSeconds(epoch));
  });

  test("the top is sparse, and a few accounts lie above the frontier but within 30,000 of it", () => {
    const frontier = frontierOn(world, "ps", DAY);
    const top = playerRowsIn(world, frontier - 50_000, frontier + 1, addDays(world.epoch, 0)); // epoch: the sparse band
    expect(top.length / 50_000).toBeLessThan(0.1);
    const above = playerRowsIn(world, frontier + 1, frontier + 60_000, DAY).map((r) => r[0]);
    expect(above.length).toBeGreaterThan(0);
    expect(above.length).toBeLessThan(40);
    expect(Math.max(...above)).toBeLessThanOrEqual(frontier + 30_000);
  });

  test("days before the epoch or not on the calendar are refused", () => {
    expect(() => playerOn(world, 5_002, "2025-12-31")).toThrow(/before the world's epoch/);
    expect(() => playerOn(world, 5_002, "2026-02-30")).toThrow(/not a calendar day/);
  });

  test("a 100-ID request costs well under a millisecond of model time a year after the epoch", () => {
    const wd = new WorldDay(world, "2026-12-31");
    const started = performance.now();
    for (let r = 0; r < 500; r++) for (let id = 5_000 + r * 100; id < 5_100 + r * 100; id++) wd.state(id);
    expect((performance.now() - started) / 500).toBeLessThan(1);
  });
});

describe("oracle", () => {
  const ranges = { xbox: { min: 7_000, max: 7_400 }, ps: { min: 1_073_750_000, max: 1_073_750_300 } };
  const days = ["2026-02-01", "2026-02-02", "2026-02-03"];
  const db = expectedDatabase(world, ranges, days);

  test("players: one row per account found, with the model's latest stats and the suffix's console", () => {
    const found = [...playerRowsIn(world, 7_000, 7_400, days[2]), ...playerRowsIn(world, 1_073_750_000, 1_073_750_300, days[2])];
    expect(db.players.map((p) => p.account_id)).toEqual(found.map((r) => r[0]));
    for (const [i, row] of found.entries()) {
      const p = db.players[i];
      expect([p.account_id, p.nickname, p.created_at, p.last_battle_time, p.updated_at, ...COUNTERS.map((c) => p[c])]).toEqual(row);
      const expectedConsole = row[1].endsWith("-x") ? "xbox" : row[1].endsWith("-p") ? "ps" : row[0] < 1e9 ? "xbox" : "ps";
      expect(p.console).toBe(expectedConsole);
    }
  });

  test("day one: every player found is new; a total row each, a diff row equal to it when it has battles", () => {
    const first = db.totalBattles.filter((r) => r.date === days[0]);
    expect(first.map((r) => r.account_id)).toEqual(playerRowsIn(world, 7_000, 7_400, days[0]).map((r) => r[0]).concat(
      playerRowsIn(world, 1_073_750_000, 1_073_750_300, days[0]).map((r) => r[0]),
    ));
    const diffs = db.diffBattles.filter((r) => r.date === days[0]);
    expect(diffs).toEqual(first.filter((r) => r.battles > 0));
  });

  test("later days: rows only for players whose battles changed, the diff being new minus old", () => {
    for (const [d, date] of days.entries()) {
      if (d === 0) continue;
      const totals = db.totalBattles.filter((r) => r.date === date);
      const diffs = db.diffBattles.filter((r) => r.date === date);
      expect(totals.length).toBeGreaterThan(10);
      expect(totals.length).toBeLessThan(150);
      expect(diffs.map((r) => r.account_id)).toEqual(totals.map((r) => r.account_id));
      for (const [i, total] of totals.entries()) {
        // hand check against the model: yesterday's and today's rows
        const before = playerRowOn(world, total.account_id, days[d - 1])!;
        const after = playerRowOn(world, total.account_id, date)!;
        expect(after[5]).toBeGreaterThan(before[5]);
        expect(COUNTERS.map((c) => total[c])).toEqual(after.slice(5) as number[]);
        expect(COUNTERS.map((c) => diffs[i][c])).toEqual(after.slice(5).map((n, k) => (n as number) - (before[5 + k] as number)));
      }
    }
  });

  test("rows are sorted by (date, account_id)", () => {
    for (const rows of [db.totalBattles, db.diffBattles]) {
      const keys = rows.map((r) => `${r.date}:${String(r.account_id).padStart(12, "0")}`);
      expect(keys).toEqual([...keys].sort());
    }
  });

  test("days must come in order", () => {
    expect(() => expectedDatabase(world, ranges, ["2026-02-02", "2026-02-01"])).toThrow(/does not come after/);
  });
});

describe("stability", () => {
  // Pinned so that a change to the model is a deliberate one: recorded expectations
  // and benchmark baselines elsewhere assume a world does not drift between versions.
  test("seed 42 keeps its players", () => {
    expect(playerRowOn(world, 7_338, "2026-02-03")).toEqual([
      7338, "Calcalsho1088-x", 1392200050, 1770076697, 1770076799, 44, 32, 24, 93108, 25, 20,
    ]);
    expect(playerRowOn(world, 7_340, "2026-02-03")).toBeNull();
  });
});

describe("oracle summaries", () => {
  test("count found, new and active players and the battles they played, per console", () => {
    const ranges = { xbox: { min: 20_000, max: 21_000 } };
    const days = ["2026-05-01", "2026-05-02"];
    const { summaries, diffBattles } = expectedDatabase(world, ranges, days);
    const found = playerRowsIn(world, 20_000, 21_000, days[1]);
    const xbox = summaries.filter((s) => s.console === "xbox");
    expect(xbox.map((s) => s.found)).toEqual([
      playerRowsIn(world, 20_000, 21_000, days[0]).filter((r) => !r[1].endsWith("-p")).length,
      found.filter((r) => !r[1].endsWith("-p")).length,
    ]);
    expect(xbox[0].newPlayers).toBe(xbox[0].found);
    expect(xbox[0].activePlayers).toBe(0);
    const secondDay = diffBattles.filter((r) => r.date === days[1] && r.console === "xbox");
    expect(xbox[1].activePlayers).toBe(secondDay.length);
    expect(xbox[1].battlesPlayed).toBe(secondDay.reduce((sum, r) => sum + r.battles, 0));
    expect(xbox[1].battlesPlayed).toBeGreaterThan(0);
  });
});
