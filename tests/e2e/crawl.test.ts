/**
 * One day's crawl, end to end: a real server process, real client processes, a
 * real PostgreSQL and the WG API simulator. The database must equal the oracle
 * row for row.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { DAY1, DAY2, SMALL_RANGES, freePort, setUpCrawl, startClients, startCrawlServer, waitForStatus, type CrawlSetup } from "./crawl-support";

async function expectOracleEqual(setup: CrawlSetup, days: string[]) {
  const expected = expectedDatabase(setup.world, SMALL_RANGES, days);
  const actual = await readSnapshot(setup.db.sql);
  expect(firstDifferences(actual.players, expected.players)).toEqual([]);
  expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
  expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
  return expected;
}

describe("two clients crawl two days", () => {
  let setup: CrawlSetup;
  afterAll(async () => setup?.cleanup(), 60_000);

  test("day 1: the database equals the oracle and the server exits 0 with a summary", async () => {
    setup = await setUpCrawl({ seed: 101, day: DAY1 });
    const { server, url } = await startCrawlServer(setup, DAY1);
    // it runs as the same process with the allocator's purging off (schema/allocator.ts), unless the caller chose a setting
    if (process.env.MIMALLOC_PURGE_DELAY === undefined) expect(readFileSync(`/proc/${server.proc.pid}/environ`, "utf8").split("\0")).toContain("MIMALLOC_PURGE_DELAY=-1");
    const clients = startClients(url, setup.token, 2);
    expect(await server.exited).toBe(0);
    for (const client of clients) expect(await client.exited).toBe(0);
    const expected = await expectOracleEqual(setup, [DAY1]);
    // every result went as a binary frame (schema/wire/result-frame.ts)
    for (const client of clients) expect(client.output()).toContain("the server reads results as binary frames (frame-1)");
    const output = server.output();
    expect(output).toContain(`run ${DAY1} complete`);
    const xbox = expected.summaries.find((s) => s.date === DAY1 && s.console === "xbox")!;
    expect(output).toMatch(new RegExp(`xbox +IDs queried 20,000, players found [\\d,]+, new players ${xbox.newPlayers.toLocaleString("en-US")}`));
    expect(output).toMatch(/\d+\/400 batches/); // progress lines were printed
  }, 120_000);

  test("day 2: totals and differences of the next day equal the oracle", async () => {
    setup.sim.setDay(DAY2);
    const { server, url } = await startCrawlServer(setup, DAY2);
    const clients = startClients(url, setup.token, 2);
    expect(await server.exited).toBe(0);
    for (const client of clients) expect(await client.exited).toBe(0);
    const expected = await expectOracleEqual(setup, [DAY1, DAY2]);
    expect(expected.diffBattles.some((row) => row.date === DAY2)).toBe(true);
  }, 120_000);

  test("a day already complete is not crawled again", async () => {
    const before = setup.sim.stats().requests;
    const { server } = await startCrawlServer(setup, DAY2);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain(`run ${DAY2} is already complete`);
    expect(setup.sim.stats().requests).toBe(before);
  }, 60_000);
});

describe("failures lose nothing and repeat nothing", () => {
  test("server SIGKILLed mid-run and restarted: completes, no committed batch queried twice, oracle-equal", async () => {
    // A rate limit stretches the run so the kill lands in the middle of it.
    // A fixed port, so the clients reconnect to the restarted server on their own; a
    // rate limit stretches the run so the kill lands in the middle of it.
    const port = await freePort();
    const setup = await setUpCrawl({ seed: 202, day: DAY1, keyRps: 60, sim: { rps: 60 }, server: { port } });
    try {
      const first = await startCrawlServer(setup, DAY1);
      const clients = startClients(first.url, setup.token, 2);
      await waitForStatus(first.url, (s) => s.run && s.run.batches.done >= 100);
      first.server.kill("SIGKILL");
      await first.server.exited;
      const committed = await setup.db.sql<{ platform: string; start: string }[]>`
        SELECT platform, start::text FROM run_batches WHERE run_date = ${DAY1}`;
      expect(committed.length).toBeGreaterThanOrEqual(100);
      expect(committed.length).toBeLessThan(400);

      const second = await startCrawlServer(setup, DAY1);
      await second.server.waitFor(/resuming run/);
      expect(await second.server.exited).toBe(0);
      for (const c of clients) expect(await c.exited).toBe(0);

      const answered = setup.sim.stats().okByStartId;
      const queriedTwice = committed.filter((b) => (answered.get(Number(b.start)) ?? 0) > 1);
      expect(queriedTwice).toEqual([]);
      await expectOracleEqual(setup, [DAY1]);
    } finally {
      await setup.cleanup();
    }
  }, 180_000);

  test("a client SIGKILLed mid-batch: its batches are leased again and completed, oracle-equal", async () => {
    const setup = await setUpCrawl({ seed: 303, day: DAY1, keyRps: 40, sim: { rps: 40 } });
    try {
      const { server, url } = await startCrawlServer(setup, DAY1);
      const [victim, survivor] = startClients(url, setup.token, 2);
      // The operator's view: each volunteer with the figures it reports (every 5 s).
      const seen = await waitForStatus(url, (s) => s.clients?.length === 2 && s.clients.every((c: any) => c.reported), 30_000);
      for (const client of seen.clients) {
        expect(client.name).toMatch(/^volunteer-[12]$/);
        expect(client.rps).toBe(20); // the key's 40 requests/s split between the two
        expect(client.reported.requests).toBeGreaterThan(0);
        expect(client.reported.batchesDone).toBeGreaterThan(0);
      }
      expect(seen.run.batches.done).toBeLessThan(400);
      victim!.kill("SIGKILL");
      expect(await server.exited).toBe(0);
      expect(await survivor!.exited).toBe(0);
      expect(server.output()).toMatch(/volunteer-1 .*disconnected/);
      await expectOracleEqual(setup, [DAY1]);
    } finally {
      await setup.cleanup();
    }
  }, 180_000);

  test("5% simulator faults and a rate limit: retried, counted, oracle-equal", async () => {
    const setup = await setUpCrawl({
      seed: 404,
      day: DAY1,
      keyRps: 100,
      sim: { rps: 100, faults: { sourceNotAvailable: 0.01, html502: 0.01, http500: 0.01, truncated: 0.01, slow: 0.01, slowMs: 2_500 } },
    });
    try {
      const { server, url } = await startCrawlServer(setup, DAY1);
      const clients = startClients(url, setup.token, 2);
      expect(await server.exited).toBe(0);
      for (const client of clients) expect(await client.exited).toBe(0);
      const faults = setup.sim.stats().faults;
      const injected = Object.values(faults).reduce((a, b) => a + b, 0);
      expect(injected).toBeGreaterThan(0);
      // Each client ends with "N requests (R retries: …)"; every injected fault was retried.
      const retries = clients
        .map((client) => Number(client.stdout().match(/requests \((\d+) retries/)?.[1] ?? NaN))
        .reduce((a, b) => a + b, 0);
      expect(retries).toBeGreaterThanOrEqual(injected);
      await expectOracleEqual(setup, [DAY1]);
    } finally {
      await setup.cleanup();
    }
  }, 180_000);
});

describe("tokens", () => {
  test("a bad token is refused at register and at the socket, and the key never appears", async () => {
    const setup = await setUpCrawl({ seed: 505, day: DAY1 });
    try {
      const { server, url } = await startCrawlServer(setup, DAY1);
      const register = await fetch(`${url}/api/register`, {
        method: "POST",
        headers: { authorization: "Bearer not-a-token", "content-type": "application/json" },
        body: JSON.stringify({ name: "intruder" }),
      });
      expect(register.status).toBe(401);
      expect(await register.text()).not.toContain("e2e-key");
      const noHeader = await fetch(`${url}/api/register`, { method: "POST", body: "{}" });
      expect(noHeader.status).toBe(401);

      const socket = new WebSocket(`${url.replace("http", "ws")}/api/work?name=intruder`, {
        headers: { authorization: "Bearer not-a-token" },
      } as any);
      const outcome = await new Promise<string>((resolve) => {
        socket.onopen = () => resolve("open");
        socket.onerror = () => resolve("error");
        socket.onclose = () => resolve("closed");
      });
      expect(outcome).not.toBe("open");

      const good = await fetch(`${url}/api/register`, {
        method: "POST",
        headers: { authorization: `Bearer ${setup.token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "volunteer-1" }),
      });
      expect(good.status).toBe(200);
      expect(((await good.json()) as any).applicationId).toBe("e2e-key");
      server.kill("SIGTERM");
      expect(await server.exited).toBe(143);
    } finally {
      await setup.cleanup();
    }
  }, 60_000);
});
