/**
 * Every run ends, or says why it cannot: a batch that fails on every client
 * is set aside and the run completes with it listed (and a re-run tries it
 * again); a database that refuses every write (a CHECK constraint the
 * operator added) pauses leasing with the reason and a hint, and the run
 * resumes by itself once the constraint is gone.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { addToken } from "../support/processes";
import { DAY1, SMALL_RANGES, setUpCrawl, startClients, startCrawlServer, status, waitForStatus, type CrawlSetup } from "./crawl-support";

async function expectOracleEqual(setup: CrawlSetup, days: string[]) {
  const expected = expectedDatabase(setup.world, SMALL_RANGES, days);
  const actual = await readSnapshot(setup.db.sql);
  expect(firstDifferences(actual.players, expected.players)).toEqual([]);
  expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
  expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
}

describe("a poison batch", () => {
  let setup: CrawlSetup;
  afterAll(async () => setup?.cleanup(), 60_000);

  test("fails on both clients, is set aside, and the run completes with it listed; a re-run of the day tries it again", async () => {
    const poison = { from: 5_300, to: 5_400 };
    setup = await setUpCrawl({
      seed: 901,
      day: DAY1,
      sim: { poison: [poison] },
      server: { leaseSeconds: 20 },
      wg: { maxAttempts: 3 },
      config: { verification: { failAfterClients: 2 } },
    });
    const tokens = [await addToken(setup.configPath, "vol-a", setup.env), await addToken(setup.configPath, "vol-b", setup.env)];
    const { server, url } = await startCrawlServer(setup, DAY1);
    const clients = tokens.map((token, i) => startClients(url, token, 1, `vol-${i}`)[0]!);
    expect(await server.exited).toBe(0);
    for (const c of clients) expect(await c.exited).toBe(0);
    const output = server.output();
    expect(output).toMatch(/run 2026-03-01 complete in \S+ with 1 batches failed/);
    expect(output).toContain("failed batch xbox [5300, 5400): gave up after 3 attempts; last: WG error 504 SOURCE_NOT_AVAILABLE");
    const [failed] = await setup.db.sql`select platform, start::int, "end"::int, attempts from failed_batches where run_date = ${DAY1}`;
    expect(failed).toMatchObject({ platform: "xbox", start: 5300, end: 5400 });
    // everything else is there
    const expected = expectedDatabase(setup.world, SMALL_RANGES, [DAY1]);
    const actual = await readSnapshot(setup.db.sql);
    const outside = (id: number) => id < poison.from || id >= poison.to;
    expect(firstDifferences(actual.players, expected.players.filter((p) => outside(p.account_id)))).toEqual([]);

    // WG heals; running the day again crawls only the failed batch and clears it
    setup.sim.simulator.setPoison([]);
    const before = setup.sim.stats().ok;
    const again = await startCrawlServer(setup, DAY1);
    const retry = startClients(again.url, tokens[0]!, 1, "vol-retry");
    expect(await again.server.exited).toBe(0);
    await retry[0]!.exited;
    expect(again.server.output()).toContain("run 2026-03-01 completed with 1 batches set aside as failed: trying them again");
    expect(setup.sim.stats().ok - before).toBeLessThanOrEqual(2); // the one batch (and at most one check of it)
    expect((await setup.db.sql`select count(*)::int as n from failed_batches`)[0]!.n).toBe(0);
    await expectOracleEqual(setup, [DAY1]);
  }, 180_000);
});

describe("a database that refuses every write", () => {
  let setup: CrawlSetup;
  afterAll(async () => setup?.cleanup(), 60_000);

  test("a CHECK constraint added mid-run pauses leasing with its class and a hint; dropping it resumes the run, oracle-equal", async () => {
    setup = await setUpCrawl({ seed: 902, day: DAY1, keyRps: 40, sim: { rps: 40 } });
    const { server, url } = await startCrawlServer(setup, DAY1);
    const clients = startClients(url, setup.token, 1);
    await waitForStatus(url, (s) => s.run?.batches.done >= 20);
    await setup.db.sql`alter table players add constraint operator_cap check (battles < 0) not valid`;
    const paused = await waitForStatus(url, (s) => s.run?.dbTrouble?.kind === "blocking", 60_000);
    expect(paused.run.dbTrouble).toMatchObject({ name: "check violation", hint: expect.stringContaining("CHECK constraint") });
    // (loopback is admin: the database's own text is there too)
    expect(paused.run.dbTrouble.error).toContain('violates check constraint "operator_cap"');
    const doneAtPause = paused.run.batches.done;
    // leasing stops: nothing new is handed out while the writes fail
    await waitForStatus(url, (s) => s.run.batches.leased === 0, 60_000);
    await Bun.sleep(1_500);
    const still = await status(url);
    expect(still.run.batches.done).toBe(doneAtPause);
    expect(server.output()).toMatch(/DATABASE CANNOT WRITE \(check violation\)/);
    expect(server.output()).toMatch(/DATABASE CANNOT WRITE: check violation \(a CHECK constraint refuses the rows/);

    await setup.db.sql`alter table players drop constraint operator_cap`;
    expect(await server.exited).toBe(0);
    for (const c of clients) expect(await c.exited).toBe(0);
    expect(server.output()).toContain("database writes are back; leasing resumes");
    await expectOracleEqual(setup, [DAY1]);
  }, 180_000);
});
