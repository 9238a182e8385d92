/**
 * Self-update with real compiled clients: version A (0.9.0-a) and version B
 * (0.9.0-b) are built once for linux-x64 with `bun client/build.ts`, trusting
 * the key in a data directory the servers below sign with. A volunteer's copy
 * of A runs against a real server, a real PostgreSQL and the WG simulator.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFile, mkdir, mkdtemp, open, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateSigningKey, PUBLIC_KEY_FILE } from "../../server/src/dist/signing-key";
import { hashFile } from "../../client/src/update/hash-file";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { spawnProc, ROOT, type Proc } from "../support/processes";
import { DAY1, SMALL_RANGES, setUpCrawl, startCrawlServer, waitForStatus, type CrawlSetup } from "./crawl-support";

const A = "0.9.0-a";
const B = "0.9.0-b";
/** 20 batches per platform: a run of a few seconds. */
const TINY_RANGES = {
  xbox: { min: 5_000, max: 7_000 },
  ps: { min: 1_073_740_000, max: 1_073_742_000 },
};

let work: string;
/** The server data dir whose key the builds trust. */
let dataDir: string;
let buildA: { dir: string; file: string; sha256: string; size: number };
let buildB: { dir: string; file: string; sha256: string; size: number };

async function build(version: string): Promise<typeof buildA> {
  const dir = join(work, `build-${version}`);
  const proc = spawnProc([
    "bun", "client/build.ts", "--target", "linux-x64", "--version", version,
    "--public-key", join(dataDir, PUBLIC_KEY_FILE), "--out", dir,
  ]);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`building ${version} exited ${code}:\n${proc.output()}`);
  const file = join(dir, `wotc-client-${version}-linux-x64`);
  return { dir, file, ...(await hashFile(file)) };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "wotc-self-update-"));
  dataDir = join(work, "data");
  await loadOrCreateSigningKey(dataDir);
  buildA = await build(A);
  buildB = await build(B);
}, 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A volunteer's folder holding a copy of build A, as downloaded. */
async function volunteerWithA(name: string): Promise<string> {
  const dir = join(work, `volunteer-${name}`);
  await mkdir(dir);
  const exe = join(dir, "wotc-client");
  await copyFile(buildA.file, exe);
  await Bun.spawn(["chmod", "755", exe]).exited;
  return exe;
}

function startCompiled(exe: string, url: string, token: string, name: string): Proc {
  return spawnProc([exe, "--server", url, "--token", token, "--name", name], {}, join(exe, ".."));
}

async function committedBatches(setup: CrawlSetup): Promise<number> {
  const [row] = await setup.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM run_batches WHERE run_date = ${DAY1}`;
  return row!.n;
}

/** A server whose clients directory is `clientsDir`, signing with the key in `serverDataDir`. */
async function crawlSetup(seed: number, clientsDir: string, options: { serverDataDir?: string; keyRps?: number; ranges?: typeof TINY_RANGES } = {}) {
  const setup = await setUpCrawl({
    seed,
    day: DAY1,
    keyRps: options.keyRps,
    sim: options.keyRps ? { rps: options.keyRps } : undefined,
    ranges: options.ranges ?? TINY_RANGES,
    server: { dataDir: options.serverDataDir ?? dataDir },
  });
  Object.assign(setup.env, { WOTC_CLIENTS_DIR: clientsDir });
  return setup;
}

async function stopAll(...procs: (Proc | undefined)[]) {
  for (const proc of procs) {
    if (proc && proc.proc.exitCode === null && !proc.proc.killed) proc.kill("SIGTERM");
  }
  await Promise.all(procs.map((proc) => proc?.exited));
}

describe("a volunteer running A against a server that distributes B", () => {
  test("at start: A replaces itself with B and re-executes; B crawls the whole run", async () => {
    const setup = await crawlSetup(601, buildB.dir);
    const exe = await volunteerWithA("at-start");
    let server: Proc | undefined;
    let client: Proc | undefined;
    try {
      const { server: running, url } = await startCrawlServer(setup, DAY1);
      server = running;
      const started = performance.now();
      client = startCompiled(exe, url, setup.token, "volunteer-1");
      await client.waitFor(new RegExp(`wotc-client ${B} \\(linux-x64\\), updated from ${A}`), 30_000);
      const seconds = (performance.now() - started) / 1000;
      expect(await server.exited).toBe(0);
      expect(await client.exited).toBe(0);

      expect((await hashFile(exe)).sha256).toBe(buildB.sha256);
      expect(await committedBatches(setup)).toBe(40);
      const output = client.output();
      expect(output).toContain(`wotc-client ${A} (linux-x64)`);
      expect(output).toContain(`update: at start: the server distributes ${B}, this is ${A}`);
      expect(output).toMatch(/run 2026-03-01 is complete: \d+ batches done/);
      // A never registered: every batch was B's
      expect(output.indexOf("registered as")).toBeGreaterThan(output.indexOf(`updated from ${A}`));
      const took = output.match(/update: 0\.9\.0-b is running, ([\d.]+) s after its download began/)?.[1];
      console.log(`self-update at start: ${seconds.toFixed(2)} s from launching A to B running (download to running: ${took} s); builds ${(buildA.size / 1e6).toFixed(1)} MB`);
    } finally {
      await stopAll(client, server);
      await setup.cleanup();
    }
  }, 60_000);

  test("mid-run: the server notices B on SIGHUP and announces it; A hands its batches back, becomes B, and nothing is lost", async () => {
    const clientsDir = join(work, "published");
    await mkdir(clientsDir);
    await copyFile(join(buildA.dir, "build.json"), join(clientsDir, "build.json"));
    await copyFile(buildA.file, join(clientsDir, `wotc-client-${A}-linux-x64`));
    const setup = await crawlSetup(602, clientsDir, { keyRps: 40, ranges: SMALL_RANGES });
    const exe = await volunteerWithA("mid-run");
    let server: Proc | undefined;
    let client: Proc | undefined;
    try {
      const started = await startCrawlServer(setup, DAY1);
      server = started.server;
      client = startCompiled(exe, started.url, setup.token, "volunteer-1");
      await client.waitFor(new RegExp(`update: ${A.replace(/\./g, "\\.")} is the build the server distributes`));
      await waitForStatus(started.url, (s) => s.run && s.run.batches.done >= 30);

      // The operator publishes B: the file first, build.json last, then SIGHUP
      await copyFile(buildB.file, join(clientsDir, `wotc-client-${B}-linux-x64`));
      await copyFile(join(buildB.dir, "build.json"), join(clientsDir, "build.json"));
      const published = performance.now();
      server.kill("SIGHUP");
      await server.waitFor(new RegExp(`new client build ${B.replace(/\./g, "\\.")} for linux-x64; telling connected clients`));
      await client.waitFor(new RegExp(`updated from ${A.replace(/\./g, "\\.")}`), 30_000);
      const seconds = (performance.now() - published) / 1000;

      expect(await server.exited).toBe(0);
      expect(await client.exited).toBe(0);
      expect((await hashFile(exe)).sha256).toBe(buildB.sha256);
      const output = client.output();
      expect(output).toContain(`update: the server announced ${B}`);
      expect(output).toMatch(/handed \d+ unfinished batches back to the server|stopped: \d+ batches done/);
      expect(await committedBatches(setup)).toBe(400);
      const expected = expectedDatabase(setup.world, SMALL_RANGES, [DAY1]);
      const actual = await readSnapshot(setup.db.sql);
      expect(firstDifferences(actual.players, expected.players)).toEqual([]);
      expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
      console.log(`self-update on announcement: ${seconds.toFixed(2)} s from SIGHUP to B running`);
    } finally {
      await stopAll(client, server);
      await setup.cleanup();
    }
  }, 90_000);
});

test("after an update, Ctrl-C reaches the new build once: it hands its batches back and exits 0", async () => {
  const setup = await crawlSetup(605, buildB.dir, { keyRps: 20, ranges: SMALL_RANGES });
  const exe = await volunteerWithA("ctrl-c");
  let server: Proc | undefined;
  let client: Proc | undefined;
  try {
    const started = await startCrawlServer(setup, DAY1);
    server = started.server;
    client = startCompiled(exe, started.url, setup.token, "volunteer-1");
    await client.waitFor(/connected to ws:/, 30_000);
    await waitForStatus(started.url, (s) => s.run && s.run.batches.done >= 5);
    client.kill("SIGINT"); // the process the volunteer started: A, waiting for B
    expect(await client.exited).toBe(0);
    const output = client.output();
    expect(output).toContain(`updated from ${A}`);
    expect(output.match(/SIGINT: handing unfinished batches back/g)?.length).toBe(1);
    expect(output).toMatch(/handed \d+ unfinished batches back to the server/);
    await waitForStatus(started.url, (s) => s.clientsConnected === 0 && s.run.batches.leased === 0);
  } finally {
    await stopAll(client, server);
    await setup.cleanup();
  }
}, 60_000);

describe("updates that must be refused: the file stays A and A keeps working", () => {
  test("a download with one byte changed is refused", async () => {
    const clientsDir = join(work, "tampered");
    await mkdir(clientsDir);
    await copyFile(join(buildB.dir, "build.json"), join(clientsDir, "build.json"));
    const published = join(clientsDir, `wotc-client-${B}-linux-x64`);
    await copyFile(buildB.file, published);
    const setup = await crawlSetup(603, clientsDir);
    const exe = await volunteerWithA("tampered");
    let server: Proc | undefined;
    let client: Proc | undefined;
    try {
      const started = await startCrawlServer(setup, DAY1);
      server = started.server;
      await server.waitFor(/distributing client 0\.9\.0-b/);
      // Changed after the server signed it, size and mtime kept: only the client's check can catch it
      const { mtime, atime } = await stat(published);
      const handle = await open(published, "r+");
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, 1_000_000);
      await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 1_000_000);
      await handle.close();
      await utimes(published, atime, mtime);

      client = startCompiled(exe, started.url, setup.token, "volunteer-1");
      expect(await server.exited).toBe(0);
      expect(await client.exited).toBe(0);
      const output = client.output();
      expect(output).toMatch(new RegExp(`update: refused ${B.replace(/\./g, "\\.")}: sha256 mismatch: the download is [0-9a-f]{64}, the signed manifest says ${buildB.sha256}; staying on ${A.replace(/\./g, "\\.")}`));
      expect((await hashFile(exe)).sha256).toBe(buildA.sha256);
      expect(output).not.toContain("updated from");
      expect(await committedBatches(setup)).toBe(40);
      expect(output).toMatch(/run 2026-03-01 is complete: \d+ batches done/);
    } finally {
      await stopAll(client, server);
      await setup.cleanup();
    }
  }, 60_000);

  test("a manifest signed by another key is refused; an unknown target is a 404 listing the targets", async () => {
    const otherData = join(work, "other-server-data");
    const setup = await crawlSetup(604, buildB.dir, { serverDataDir: otherData });
    const exe = await volunteerWithA("other-key");
    let server: Proc | undefined;
    let client: Proc | undefined;
    try {
      const started = await startCrawlServer(setup, DAY1);
      server = started.server;
      const unknown = await fetch(`${started.url}/api/client/download/plan9-mips`);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { targets: string[] }).targets).toEqual(["linux-x64"]);

      client = startCompiled(exe, started.url, setup.token, "volunteer-1");
      expect(await server.exited).toBe(0);
      expect(await client.exited).toBe(0);
      const output = client.output();
      const otherKey = await loadOrCreateSigningKey(otherData);
      const ourKey = await loadOrCreateSigningKey(dataDir);
      expect(output).toContain(
        `update: refused the server's manifest: the manifest signature does not verify: it is signed by key ${otherKey.keyId}, this client trusts key ${ourKey.keyId}; staying on ${A}`,
      );
      expect((await hashFile(exe)).sha256).toBe(buildA.sha256);
      expect(await committedBatches(setup)).toBe(40);
    } finally {
      await stopAll(client, server);
      await setup.cleanup();
    }
  }, 60_000);
});

test("built from source the client says once that self-update is off", async () => {
  const proc = spawnProc(["bun", "client/src/main.ts", "--server", "http://127.0.0.1:9", "--token", "t"], {}, ROOT);
  await proc.waitFor(/retrying in/, 20_000);
  proc.kill("SIGTERM");
  await proc.exited;
  expect(proc.output().match(/self-update is off/g)?.length).toBe(1);
}, 30_000);
