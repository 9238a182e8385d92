/**
 * Scheduled mode end to end: `bun run server --serve` with a fast-forward
 * test clock (WOTC_TEST_CLOCK: the clock starts just before the day's start
 * time and each wait between runs lasts 3 s of real time). One client stays
 * connected across two daily runs: it waits before the first, is told why it
 * waits after it, and crawls the second when it starts.
 */
import { afterAll, expect, test } from "bun:test";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { startClient, startServer } from "../support/processes";
import { DAY1, DAY2, SMALL_RANGES, setUpCrawl, status, type CrawlSetup } from "./crawl-support";

let setup: CrawlSetup;
afterAll(async () => setup?.cleanup(), 60_000);

test("a client stays connected after run 1, is told to wait and why, and works run 2 when it starts", async () => {
  setup = await setUpCrawl({ seed: 808, day: DAY1 });
  // The default schedule.time is 00:30 UTC: the first run starts 3 s after the server.
  const server = startServer(setup.configPath, ["--serve"], { ...setup.env, WOTC_TEST_CLOCK: `${DAY1}T00:29:57Z` });
  try {
    const url = `http://127.0.0.1:${(await server.waitFor(/listening on http:\/\/[^:]+:(\d+)/, 60_000))[1]}`;
    const client = startClient(url, setup.token, "volunteer-1");

    await server.waitFor(new RegExp(`run ${DAY1} complete in`), 60_000);
    setup.sim.setDay(DAY2); // before the next run: the wait is 3 s of real time
    const waiting = `waiting: run ${DAY1} is complete; the next run (${DAY2}) starts at ${DAY2} 00:30 UTC`;
    await server.waitFor(new RegExp(waiting.replace(/[()]/g, "\\$&")), 10_000);
    await client.waitFor(new RegExp(waiting.replace(/[()]/g, "\\$&")), 10_000);
    expect(client.proc.exitCode).toBeNull(); // still running, not told "done"

    await server.waitFor(new RegExp(`starting run ${DAY2}`), 10_000);
    await server.waitFor(new RegExp(`run ${DAY2} complete in`), 60_000);
    const s = await status(url);
    expect(s.clientsConnected).toBe(1);

    // One connection for both runs, and the one client did all of run 2.
    expect(server.output().match(/client volunteer-1 \([^)]*\) connected/g)).toHaveLength(1);
    expect(server.output()).not.toMatch(/volunteer-1 .*disconnected/);
    const batches = await setup.db.sql<{ date: string; n: number }[]>`
      select run_date::text as date, count(*)::int as n from run_batches group by 1 order by 1`;
    expect([...batches]).toEqual([
      { date: DAY1, n: 400 },
      { date: DAY2, n: 400 },
    ]);
    const expected = expectedDatabase(setup.world, SMALL_RANGES, [DAY1, DAY2]);
    const actual = await readSnapshot(setup.db.sql);
    expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
    expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);

    // Stopping: the server exits as on a signal; the client gives up its socket and exits when told to stop.
    server.kill("SIGTERM");
    expect(await server.exited).toBe(143);
    client.kill("SIGTERM");
    expect(await client.exited).toBe(0);
  } finally {
    server.kill("SIGKILL");
  }
}, 180_000);
