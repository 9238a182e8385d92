/**
 * Trackers and clients in the test process itself: the real tracker object
 * (startTracker), the real client code (runClient) on real sockets, the WG
 * simulator and a database of the test's own. Lines the tracker logs are
 * kept so a test can wait for one and show them when it fails.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerConfigInput } from "@wotc/schema/config";
import { startTracker, type Tracker, type TrackerOptions } from "../../server/src/tracker";
import { runClient, type ClientExit } from "../../client/src/client";
import type { Logger } from "../../client/src/log";
import { startSimulator, type RunningSimulator } from "./wg-sim/server";
import { createTestDatabase, type TestDatabase } from "./db";
import { smallWorld, SMALL_RANGES, KEY } from "../e2e/crawl-support";
import type { World } from "./wg-sim/world";

export interface TestTracker {
  tracker: Tracker;
  /** The simulator's world, for the oracle. */
  world: World;
  url: string;
  sim: RunningSimulator;
  db: TestDatabase;
  dir: string;
  lines: string[];
  /** Resolves with the first logged line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  cleanup(): Promise<void>;
}

export interface TestTrackerOptions {
  seed: number;
  day: string;
  config?: (base: ServerConfigInput) => ServerConfigInput;
  tracker?: Partial<TrackerOptions>;
  keyRps?: number | null;
}

export async function startTestTracker(options: TestTrackerOptions): Promise<TestTracker> {
  const world = smallWorld(options.seed);
  const sim = startSimulator({ world, day: options.day, keys: [KEY] });
  const db = await createTestDatabase();
  const dir = await mkdtemp(join(tmpdir(), "wotc-tracker-"));
  const base: ServerConfigInput = {
    server: { host: "127.0.0.1", port: 0, progressSeconds: 1, leaseSeconds: 30, dataDir: join(dir, "data") },
    wg: { apiBase: sim.url, requestTimeoutMs: 2_000, maxAttempts: 20, keys: [{ applicationId: KEY, rps: options.keyRps ?? null, clients: ["*"] }] },
    ranges: SMALL_RANGES,
    growth: { margin: 0 },
  };
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const tracker = await startTracker({
    config: options.config ? options.config(base) : base,
    date: options.day,
    databaseUrl: db.url,
    clientsDir: join(dir, "no-clients"),
    output: (text) => {
      lines.push(text);
      for (const waiter of waiters) waiter();
    },
    ...options.tracker,
  });
  return {
    tracker,
    world,
    url: tracker.url,
    sim,
    db,
    dir,
    lines,
    waitForLine(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.find((l) => pattern.test(l));
          if (!line) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(line);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matched ${pattern} in ${timeoutMs} ms; lines:\n${lines.slice(-40).join("\n")}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async cleanup() {
      await tracker.stop().catch(() => undefined);
      await sim.stop();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestClient {
  name: string;
  exit: Promise<ClientExit>;
  lines: string[];
  stop(): Promise<ClientExit>;
}

/** A volunteer's client (the real client code) in this process; `stop()` hands its batches back and ends it. */
export function startTestClient(url: string, token: string, name: string, options: { statsIntervalMs?: number } = {}): TestClient {
  const controller = new AbortController();
  const lines: string[] = [];
  const log: Logger = { info: (l) => lines.push(l), warn: (l) => lines.push(`warning: ${l}`), error: (l) => lines.push(`error: ${l}`) };
  const exit = runClient({ server: url, token, name, log, signal: controller.signal, statsIntervalMs: options.statsIntervalMs ?? 500, reconnect: { initialMs: 200, maxMs: 1_000 } });
  return {
    name,
    exit,
    lines,
    stop: () => {
      controller.abort();
      return exit;
    },
  };
}

/** Polls `read` until `predicate` holds. */
export async function until<T>(read: () => T | Promise<T>, predicate: (value: T) => boolean, timeoutMs = 30_000, what = "the condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)?.slice(0, 2000)}`);
    await Bun.sleep(100);
  }
}
