/**
 * After the run, end to end: a real server and clients crawl a simulated world
 * whose Xbox accounts reach the top of the configured range. The range grows
 * in the config file, the next run crawls the new batches, and each day's
 * rows are indexed into the Elasticsearch test server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, lstat, mkdir, readFile, rm, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { World } from "../support/wg-sim/model";
import { playerRowsIn } from "../support/wg-sim/model";
import { startSimulator } from "../support/wg-sim/server";
import { addToken, startClient, startServer, writeServerConfig, type Proc } from "../support/processes";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { startEsTestServer, type EsTestServer } from "../support/es-server";

const DAY1 = "2026-03-01";
const DAY2 = "2026-03-02";
const KEY = "growth-key";

/**
 * Xbox accounts reach 24,000 on DAY1 (the world's first day), just under the
 * max of 25,000. PlayStation accounts (and the few created early, up to 30,000
 * above the frontier) stay far below its max, as do the Xbox ones after the
 * range has grown by 35,000.
 */
const world: World = {
  seed: 707,
  epoch: DAY1,
  platforms: {
    xbox: { min: 5_000, frontier: 24_000, growthPerDay: 150 },
    ps: { min: 1_073_740_000, frontier: 1_073_742_000, growthPerDay: 150 },
  },
};
const ranges = { xbox: { min: 5_000, max: 25_000 }, ps: { min: 1_073_740_000, max: 1_073_776_000 } };

let sim: ReturnType<typeof startSimulator>;
let db: TestDatabase;
let es: EsTestServer;
let configPath: string;
let dataDir: string;
let token: string;
let env: Record<string, string>;
let originalConfig: any;

beforeAll(async () => {
  sim = startSimulator({ world, day: DAY1, keys: [KEY] });
  db = await createTestDatabase();
  es = startEsTestServer();
  const fixture = await writeServerConfig({});
  dataDir = join(fixture.dir, "data");
  originalConfig = {
    server: { host: "127.0.0.1", port: 0, progressSeconds: 1, leaseSeconds: 30, dataDir },
    wg: { apiBase: sim.url, requestTimeoutMs: 2_000, maxAttempts: 20, keys: [{ applicationId: KEY, rps: null, clients: ["*"] }] },
    ranges,
    growth: { margin: 2_000, step: 35_000 },
    elasticsearch: [{ name: "es-test", url: es.url }],
  };
  // As an operator may keep it: readable by its owner only (it holds the keys), linked from where the server looks
  configPath = fixture.configPath;
  await mkdir(join(fixture.dir, "managed"));
  await rm(configPath, { force: true });
  await Bun.write(join(fixture.dir, "managed", "server.json"), JSON.stringify(originalConfig, null, 2));
  await chmod(join(fixture.dir, "managed", "server.json"), 0o600);
  await symlink(join(fixture.dir, "managed", "server.json"), configPath);
  env = { DATABASE_URL: db.url };
  token = await addToken(configPath, "volunteer", env);
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  await es?.stop();
  await db?.drop();
}, 60_000);

async function crawl(date: string): Promise<Proc> {
  const server = startServer(configPath, ["--date", date], env);
  const match = await server.waitFor(/listening on http:\/\/[^:]+:(\d+)/, 60_000);
  const url = `http://127.0.0.1:${match[1]}`;
  const clients = [1, 2].map((i) => startClient(url, token, `volunteer-${i}`));
  expect(await server.exited).toBe(0);
  for (const client of clients) expect(await client.exited).toBe(0);
  return server;
}

const count = async (query: Promise<{ n: number }[]>) => (await query)[0]!.n;

async function expectDayIndexed(date: string) {
  const total = await count(db.sql`select count(*)::int as n from total_battles where date = ${date}`);
  const diff = await count(db.sql`select count(*)::int as n from diff_battles where date = ${date}`);
  expect(total).toBeGreaterThan(0);
  expect(es.docs(`wotc-total_battles-${date}`).size).toBe(total);
  expect(es.docs(`wotc-diff_battles-${date}`).size).toBe(diff);
  return { total, diff };
}

describe("range growth and the Elasticsearch sync after each run", () => {
  test("day 1 comes near the Xbox max: the max grows in the config file, other settings untouched; the day is indexed", async () => {
    const server = await crawl(DAY1);
    const output = server.output();
    expect(output).toMatch(/range growth: xbox max 25,000 -> 60,000 \(highest account 2[34],\d{3} is within 2,000 of it\); .*server\.json rewritten/);
    const written = JSON.parse(await readFile(configPath, "utf8"));
    expect(written).toEqual({ ...originalConfig, ranges: { ...ranges, xbox: { min: 5_000, max: 60_000 } } });
    expect(Object.keys(written)).toEqual(Object.keys(originalConfig));
    // Still the operator's link to a file only its owner can read
    expect((await lstat(configPath)).isSymbolicLink()).toBe(true);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);

    const { total, diff } = await expectDayIndexed(DAY1);
    const players = await count(db.sql`select count(*)::int as n from players`);
    expect(es.docs("wotc-players").size).toBe(players);
    const indexed = (total + diff + players).toLocaleString("en-US");
    expect(output).toContain(`elasticsearch es-test: ${indexed} documents of ${DAY1} indexed`);
  }, 120_000);

  test("day 2 crawls the new batches, does not come near the new max, and leaves the file byte for byte as it was", async () => {
    sim.setDay(DAY2);
    const before = await readFile(configPath);
    const server = await crawl(DAY2);
    expect(server.output()).toContain("range growth: none");
    expect(server.output()).toMatch(/xbox +IDs queried 55,000/);
    expect((await readFile(configPath)).equals(before)).toBe(true);

    const newBatches = await count(db.sql`
      select count(*)::int as n from run_batches where run_date = ${DAY2} and platform = 'xbox' and start >= 25000`);
    expect(newBatches).toBe(350);
    // Every account the world has in the new part of the range is in the database, first seen on day 2.
    const expected = playerRowsIn(world, 25_000, 60_000, DAY2).map((row) => row[0]);
    const found = await db.sql<{ id: number; first_seen: string }[]>`
      select account_id as id, first_seen::text from players where account_id >= 25000 and account_id < 60000 order by 1`;
    expect(expected.length).toBeGreaterThan(0);
    expect(found.map((r) => r.id)).toEqual(expected);
    expect(found.every((r) => r.first_seen === DAY2)).toBe(true);

    await expectDayIndexed(DAY2);
    const changed = await count(db.sql`select count(*)::int as n from players where last_changed = ${DAY2}`);
    expect(server.output()).toMatch(new RegExp(`elasticsearch es-test: [\\d,]+ documents of ${DAY2} indexed .*players ${changed.toLocaleString("en-US")}\\)`));
  }, 120_000);
});
