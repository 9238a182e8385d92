/**
 * Volunteers are strangers: dishonest clients of every kind crawl beside
 * honest ones, with a real server, real clients, a real PostgreSQL and the
 * WG simulator. After each day the database equals the oracle row for row,
 * every liar's token is suspended (with the reason in `token list`), and
 * honest clients with WG faults are never suspended.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { addToken, spawnProc, startClient, type Proc } from "../support/processes";
import { LIES, type Lie } from "../support/liar-client";
import { DAY1, DAY2, SMALL_RANGES, setUpCrawl, startCrawlServer, type CrawlSetup } from "./crawl-support";

const DAY3 = "2026-03-03";

function startLiar(url: string, token: string, kind: Lie): Proc {
  return spawnProc(["bun", "tests/support/liar-client.ts", "--server", url, "--token", token, "--name", `liar-${kind}`, "--lie", kind]);
}

async function expectOracleEqual(setup: CrawlSetup, days: string[]) {
  const expected = expectedDatabase(setup.world, SMALL_RANGES, days);
  const actual = await readSnapshot(setup.db.sql);
  expect(firstDifferences(actual.players, expected.players)).toEqual([]);
  expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
  expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
}

async function tokenStates(setup: CrawlSetup): Promise<Record<string, string>> {
  const rows = await setup.db.sql<{ name: string; trust: string; suspended_reason: string | null }[]>`
    select name, trust, suspended_reason from client_tokens order by name`;
  return Object.fromEntries(rows.map((r) => [r.name, r.suspended_reason ? `suspended: ${r.suspended_reason}` : r.trust]));
}

/** One day: the server, two honest clients, and each liar; resolves with the server's output once everything exited. */
async function crawlDay(setup: CrawlSetup, date: string, honestTokens: string[], liars: [Lie, string][]) {
  const { server, url } = await startCrawlServer(setup, date);
  const honest = honestTokens.map((token, i) => startClient(url, token, `honest-${i + 1}`));
  const dishonest = liars.map(([kind, token]) => ({ kind, proc: startLiar(url, token, kind) }));
  const code = await server.exited;
  if (code !== 0) throw new Error(`server exited ${code}:\n${server.output().slice(-5000)}`);
  for (const client of honest) expect(await client.exited).toBe(0);
  for (const liar of dishonest) await liar.proc.exited;
  return { output: server.output(), liars: dishonest };
}

describe("liars of every kind beside two honest clients, over two days", () => {
  let setup: CrawlSetup;
  afterAll(async () => setup?.cleanup(), 60_000);

  test("each day ends equal to the oracle, and every liar is suspended on the day it lies", async () => {
    // A key limit, so a client answering faster than its share can be told apart.
    setup = await setUpCrawl({ seed: 811, day: DAY1, keyRps: 400, server: { leaseSeconds: 20 } });
    const honest = [await addToken(setup.configPath, "honest-a", setup.env), await addToken(setup.configPath, "honest-b", setup.env)];
    for (const [day, date] of [[1, DAY1], [2, DAY2]] as const) {
      if (day === 2) setup.sim.setDay(DAY2);
      const liars: [Lie, string][] = [];
      for (const kind of LIES) liars.push([kind, await addToken(setup.configPath, `${kind}-${day}`, setup.env)]);
      const { output, liars: ran } = await crawlDay(setup, date, honest, liars);
      await expectOracleEqual(setup, day === 1 ? [DAY1] : [DAY1, DAY2]);
      const states = await tokenStates(setup);
      for (const kind of LIES) expect({ kind, state: states[`${kind}-${day}`] }).toEqual({ kind, state: expect.stringMatching(/^suspended: /) });
      expect(states["honest-a"]).not.toMatch(/suspended/);
      expect(states["honest-b"]).not.toMatch(/suspended/);
      for (const liar of ran) expect({ kind: liar.kind, code: liar.proc.proc.exitCode }).not.toEqual({ kind: liar.kind, code: 0 });
      expect(output).toMatch(new RegExp(`SUSPENDED token inflate-${day}: batch \\d+ \\[\\d+, \\d+\\): account \\d+: battles`));
      expect(output).toMatch(/checked: [\d,]+ of [\d,]+ batches/);
    }
    // The operator's view of why.
    const list = spawnProc(["bun", "server/src/main.ts", "--config", setup.configPath, "token", "list"], setup.env);
    expect(await list.exited).toBe(0);
    expect(list.stdout()).toMatch(/^inflate-1\tsuspended: batch \d+/m);
    expect(list.stdout()).toMatch(/^honest-a\t(new|trusted)\t/m);
  }, 300_000);
});

describe("honest clients with WG faults", () => {
  let setup: CrawlSetup;
  afterAll(async () => setup?.cleanup(), 60_000);

  test("three honest clients over three days with 5% faults: nobody is suspended, each day oracle-equal, and they earn trust", async () => {
    setup = await setUpCrawl({ seed: 812, day: DAY1, sim: { faults: { sourceNotAvailable: 0.01, html502: 0.01, http500: 0.01, truncated: 0.01, slow: 0.01 } } });
    const tokens = [];
    for (const name of ["vol-a", "vol-b", "vol-c"]) tokens.push(await addToken(setup.configPath, name, setup.env));
    const days = [DAY1, DAY2, DAY3];
    let lastOutput = "";
    for (const [i, date] of days.entries()) {
      setup.sim.setDay(date);
      lastOutput = (await crawlDay(setup, date, tokens, [])).output;
      await expectOracleEqual(setup, days.slice(0, i + 1));
      expect(Object.values(await tokenStates(setup)).filter((s) => s.startsWith("suspended"))).toEqual([]);
    }
    const states = await tokenStates(setup);
    expect([states["vol-a"], states["vol-b"], states["vol-c"]]).toEqual(["trusted", "trusted", "trusted"]);
    // trusted tokens are spot-checked, not checked on every batch
    const [share] = lastOutput.match(/checked: [\d,]+ of [\d,]+ batches \(([\d.]+)%\)/)!.slice(1).map(Number);
    expect(share).toBeLessThan(50);
  }, 300_000);
});
