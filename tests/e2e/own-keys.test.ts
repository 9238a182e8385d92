/**
 * Volunteers bring their own WG key (wg.volunteerKeys), with real processes:
 * the server, clients as volunteers run them, PostgreSQL and the WG simulator.
 * The simulator counts requests per key; the volunteer whose key use is to be
 * proven sends its WG requests through a forward proxy of the test's own
 * (HTTP_PROXY), so every request of that process is seen with its key.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ownKeyHash } from "@wotc/schema/wire/register";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { spawnProc, type Proc } from "../support/processes";
import { KEY } from "./crawl-support";
import { setUpHardened, startHardenedServer, type HardenedSetup } from "./hardening-support";

const DAY = "2026-03-01";
/** WG keys are 32 hex digits; these are long enough that the redaction would apply to them. */
const VOLUNTEER_KEY = "5a1e0ff1ce5a1e0ff1ce5a1e0ff1ce01";
const SHARED_KEY = "5a1e0ff1ce5a1e0ff1ce5a1e0ff1ce02";
const REJECTED_KEY = "5a1e0ff1ce5a1e0ff1ce5a1e0ff1ce03";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}, 30_000);

/** A key file as a volunteer keeps it: only they can read it. */
async function keyFile(key: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wotc-own-key-"));
  dirs.push(dir);
  const path = join(dir, "wg-application-id");
  await writeFile(path, `${key}\n`);
  await chmod(path, 0o600);
  return path;
}

function startVolunteer(url: string, token: string, name: string, args: string[] = [], env: Record<string, string | undefined> = {}): Proc {
  // The test runner's environment must not lend a key to a client that is meant to have none
  return spawnProc(["bun", "client/src/main.ts", "--server", url, "--token", token, "--name", name, ...args], { WOTC_APPLICATION_ID: undefined, ...env });
}

async function expectOracleEqual(setup: HardenedSetup) {
  const expected = expectedDatabase(setup.world, setup.ranges, [DAY]);
  const actual = await readSnapshot(setup.db.sql);
  expect(firstDifferences(actual.players, expected.players)).toEqual([]);
  expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
  expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
}

/** Requests/s of a key over the span of its requests. */
function averageRps(stats: { requests: number; firstAt: number; lastAt: number }): number {
  return (stats.requests - 1) / ((stats.lastAt - stats.firstAt) / 1000);
}

/** A forward proxy (what HTTP_PROXY points at): passes each request on and notes the application_id it carried. */
function startKeyWitness() {
  const seen = new Map<string, number>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    async fetch(request) {
      const key = new URL(request.url).searchParams.get("application_id") ?? "(none)";
      seen.set(key, (seen.get(key) ?? 0) + 1);
      const upstream = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body});
      return new Response(await upstream.arrayBuffer(), { status: upstream.status, headers: upstream.headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

describe('wg.volunteerKeys "welcome"', () => {
  test("a volunteer with its own key crawls a day oracle-equal beside an operator-key client: it never uses the operator's key, nor gets it, and keeps its own key's rate", async () => {
    const volunteerRps = 8;
    // The simulator on its own loopback address, so the proxy can be bypassed for the tracker alone
    const setup = await setUpHardened({
      seed: 1511,
      day: DAY,
      keyRps: 10,
      wg: { volunteerKeys: "welcome" },
      sim: { hostname: "127.0.0.2", keys: [{ applicationId: KEY, rps: 10 }, { applicationId: VOLUNTEER_KEY, rps: volunteerRps }] },
    });
    const witness = startKeyWitness();
    try {
      const operatorToken = await setup.token("operator-key-client");
      const volunteerToken = await setup.token("own-key-client");
      const { server, url } = await startHardenedServer(setup, DAY);

      // What the server answers this volunteer at register: no key of the operator's in it
      const answer = await fetch(`${url}/api/register`, {
        method: "POST",
        headers: { authorization: `Bearer ${volunteerToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "probe", ownKey: { hash: ownKeyHash(VOLUNTEER_KEY), rps: volunteerRps, per: "key" } }),
      });
      const settings = await answer.text();
      expect(answer.status).toBe(200);
      expect(settings).not.toContain(KEY);
      expect(JSON.parse(settings).rps).toBe(volunteerRps);

      const operatorClient = startVolunteer(url, operatorToken, "operator-key-client");
      const volunteer = startVolunteer(url, volunteerToken, "own-key-client", ["--application-id-file", await keyFile(VOLUNTEER_KEY), "--rps", String(volunteerRps)], {
        HTTP_PROXY: witness.url,
        NO_PROXY: "127.0.0.1,localhost",
      });
      expect(await server.exited).toBe(0);
      expect(await operatorClient.exited).toBe(0);
      expect(await volunteer.exited).toBe(0);
      await expectOracleEqual(setup);

      // Every WG request of the volunteer's process carried its own key, and that key came from nowhere else
      const byKey = setup.sim.stats().byKey;
      expect([...witness.seen.keys()]).toEqual([VOLUNTEER_KEY]);
      expect(witness.seen.get(VOLUNTEER_KEY)).toBe(byKey[VOLUNTEER_KEY]!.requests);
      expect(byKey[KEY]!.requests).toBeGreaterThan(0);
      expect(Object.keys(byKey).sort()).toEqual([KEY, VOLUNTEER_KEY].sort());
      // ...at no more than the rate the volunteer said its key allows
      const own = byKey[VOLUNTEER_KEY]!;
      console.log(`volunteer key: ${own.requests} requests, ${averageRps(own).toFixed(2)} req/s on average, busiest second ${own.busiestSecond}, ${own.rateLimited} rate-limited`);
      expect(own.rateLimited).toBe(0);
      expect(averageRps(own)).toBeLessThanOrEqual(volunteerRps * 1.05);

      // Its answers took part in the checks like anyone's
      const [{ answered }] = await setup.db.sql<{ answered: number }[]>`
        SELECT count(*)::int AS answered FROM run_batches
        WHERE answered_by = 'own-key-client' OR 'own-key-client' = ANY(string_to_array(checked_by, ','))`;
      expect(answered).toBeGreaterThan(0);

      expect(volunteer.output()).toContain(`with your own WG key (${ownKeyHash(VOLUNTEER_KEY).slice(0, 8)}… as the server knows it), ${volunteerRps} req/s per key`);
      expect(server.output()).toMatch(new RegExp(`client own-key-client \\([^)]*, its own WG key at ${volunteerRps} req/s per key\\) connected`));
      for (const output of [volunteer.output(), server.output(), operatorClient.output()]) expect(output).not.toContain(VOLUNTEER_KEY);
      expect(volunteer.output()).not.toContain(KEY);
    } finally {
      witness.stop();
      await setup.cleanup();
    }
  }, 180_000);

  test("a volunteer key WG rejects: the volunteer is told what to do, its batches go back unfailed, and the key is in no output", async () => {
    const setup = await setUpHardened({ seed: 1512, day: DAY, wg: { volunteerKeys: "welcome" } });
    try {
      const token = await setup.token("volunteer");
      const { server, url } = await startHardenedServer(setup, DAY);
      const volunteer = startVolunteer(url, token, "volunteer-1", [], { WOTC_APPLICATION_ID: REJECTED_KEY });
      try {
        expect(await volunteer.exited).toBe(1);
        expect(volunteer.output()).toContain(
          "WG refused your application id (INVALID_APPLICATION_ID): WG does not know this application id. Check the value you gave (--application-id-file, --application-id or WOTC_APPLICATION_ID)",
        );
        expect(volunteer.output()).toContain("https://developers.wargaming.net/applications/");
        await server.waitFor(/client volunteer-1 \([^)]*\) disconnected: socket closed \(1000 WG refused the client's own key: INVALID_APPLICATION_ID\)/, 15_000);
        // WG saw the key (and echoed it in its answers); the batches were handed back, not failed
        expect(setup.sim.stats().byKey[REJECTED_KEY]!.requests).toBeGreaterThan(0);
        expect(server.output()).not.toContain("could not crawl batch");
      } finally {
        server.kill("SIGTERM");
        await server.exited;
      }
      const [{ failed }] = await setup.db.sql<{ failed: number }[]>`SELECT count(*)::int AS failed FROM failed_batches`;
      expect(failed).toBe(0);
      expect(server.output()).not.toContain(REJECTED_KEY);
      expect(volunteer.output()).not.toContain(REJECTED_KEY);
    } finally {
      await setup.cleanup();
    }
  }, 90_000);
});

describe('wg.volunteerKeys "required"', () => {
  test("two volunteers bringing the same key share its rate and crawl the day oracle-equal with no operator key configured; a client without a key is refused, told how to bring one", async () => {
    const keyRps = 10;
    const setup = await setUpHardened({ seed: 1513, day: DAY, keys: [], wg: { volunteerKeys: "required" }, sim: { keys: [{ applicationId: SHARED_KEY, rps: keyRps }] } });
    try {
      const tokens = [await setup.token("alice"), await setup.token("bob"), await setup.token("carol")];
      const { server, url } = await startHardenedServer(setup, DAY);
      const keyless = startVolunteer(url, tokens[2]!, "carol-pc");
      expect(await keyless.exited).toBe(1);
      expect(keyless.output()).toContain(
        'this tracker needs your own WG application id (wg.volunteerKeys is "required"): create one at https://developers.wargaming.net/applications/ and start the client with --application-id-file FILE (or WOTC_APPLICATION_ID)',
      );

      // Two tokens (two people, or one with two machines), one key: from the environment and from a file
      const first = startVolunteer(url, tokens[0]!, "alice-pc", ["--rps", String(keyRps)], { WOTC_APPLICATION_ID: SHARED_KEY });
      await first.waitFor(/registered as alice-pc/);
      const second = startVolunteer(url, tokens[1]!, "bob-pc", ["--application-id-file", await keyFile(SHARED_KEY), "--rps", String(keyRps)]);
      expect(await server.exited).toBe(0);
      expect(await first.exited).toBe(0);
      expect(await second.exited).toBe(0);
      await expectOracleEqual(setup);

      // Each was given half the key's rate, and together they kept to it
      expect(second.output()).toContain(`registered as bob-pc: ${keyRps / 2} req/s`);
      expect(first.output()).toContain(`rate share now ${keyRps / 2} req/s`);
      const shared = setup.sim.stats().byKey[SHARED_KEY]!;
      console.log(`shared volunteer key: ${shared.requests} requests, ${averageRps(shared).toFixed(2)} req/s on average, busiest second ${shared.busiestSecond}, ${shared.rateLimited} rate-limited`);
      expect(shared.requests).toBeGreaterThanOrEqual(100);
      expect(shared.rateLimited / shared.requests).toBeLessThan(0.005);
      expect(averageRps(shared)).toBeLessThanOrEqual(keyRps * 1.05);
      for (const output of [first.output(), second.output(), server.output()]) expect(output).not.toContain(SHARED_KEY);
    } finally {
      await setup.cleanup();
    }
  }, 180_000);
});

describe('wg.volunteerKeys "never" (the default)', () => {
  test("a client that brings its own key is refused, told to run without it", async () => {
    const setup = await setUpHardened({ seed: 1514, day: DAY });
    try {
      const token = await setup.token("volunteer");
      const { server, url } = await startHardenedServer(setup, DAY);
      try {
        const volunteer = startVolunteer(url, token, "volunteer-1", ["--application-id-file", await keyFile(VOLUNTEER_KEY)]);
        expect(await volunteer.exited).toBe(1);
        expect(volunteer.output()).toContain(
          'the server refused this client (HTTP 403): this tracker queries WG with its own keys only (wg.volunteerKeys is "never"): start the client without --application-id, --application-id-file or WOTC_APPLICATION_ID',
        );
        expect(setup.sim.stats().requests).toBe(0);
      } finally {
        server.kill("SIGTERM");
        await server.exited;
      }
    } finally {
      await setup.cleanup();
    }
  }, 90_000);
});
