/** Shared set-up for the end-to-end crawl tests: a simulator, a database, a config, a token. */
import { rm } from "node:fs/promises";
import type { World } from "../support/wg-sim/model";
import { startSimulator, type StartOptions } from "../support/wg-sim/server";
import { addToken, startClient, startServer, writeServerConfig, type Proc } from "../support/processes";
import { createTestDatabase } from "../support/db";

export const DAY1 = "2026-03-01";
export const DAY2 = "2026-03-02";
export const KEY = "e2e-key";

/** A small world: 20,000 IDs per platform, the top of each range sparse. */
export function smallWorld(seed: number): World {
  return {
    seed,
    epoch: "2026-01-01",
    platforms: {
      xbox: { min: 5_000, frontier: 24_000, growthPerDay: 150 },
      ps: { min: 1_073_740_000, frontier: 1_073_759_000, growthPerDay: 150 },
    },
  };
}

export const SMALL_RANGES = {
  xbox: { min: 5_000, max: 25_000 },
  ps: { min: 1_073_740_000, max: 1_073_760_000 },
};

export interface CrawlSetup {
  sim: ReturnType<typeof startSimulator>;
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  configPath: string;
  env: Record<string, string>;
  token: string;
  world: World;
  cleanup(): Promise<void>;
}

export async function setUpCrawl(options: {
  seed: number;
  day: string;
  keyRps?: number | null;
  sim?: Partial<StartOptions>;
  server?: Record<string, unknown>;
  /** More of the config's wg section (maxAttempts, ...). */
  wg?: Record<string, unknown>;
  ranges?: typeof SMALL_RANGES;
  /** Other top-level config sections (clients, verification, ...). */
  config?: Record<string, unknown>;
}): Promise<CrawlSetup> {
  const world = smallWorld(options.seed);
  const sim = startSimulator({ world, day: options.day, keys: [KEY], ...options.sim });
  const db = await createTestDatabase();
  const { configPath, dir } = await writeServerConfig({
    server: { host: "127.0.0.1", port: 0, progressSeconds: 1, leaseSeconds: 30, ...options.server },
    wg: { apiBase: sim.url, requestTimeoutMs: 2_000, maxAttempts: 20, keys: [{ applicationId: KEY, rps: options.keyRps ?? null, clients: ["*"] }], ...options.wg },
    ranges: options.ranges ?? SMALL_RANGES,
    // The oracle compares with fixed ranges; range growth has its own e2e test (growth.test.ts).
    growth: { margin: 0 },
    ...options.config,
  });
  const env = { DATABASE_URL: db.url };
  const token = await addToken(configPath, "volunteer", env);
  return {
    sim,
    db,
    configPath,
    env,
    token,
    world,
    async cleanup() {
      await sim.stop();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Starts the server for `date`; resolves with its loopback URL (http or https, whatever it listens on). */
export async function startCrawlServer(setup: { configPath: string; env: Record<string, string> }, date: string): Promise<{ server: Proc; url: string }> {
  const server = startServer(setup.configPath, ["--date", date], setup.env);
  const match = await server.waitFor(/listening on (https?):\/\/(?:\[[^\]]+\]|[^:]+):(\d+)/, 60_000);
  return { server, url: `${match[1]}://127.0.0.1:${match[2]}` };
}

export function startClients(url: string, token: string, count: number, prefix = "volunteer"): Proc[] {
  return Array.from({ length: count }, (_, i) => startClient(url, token, `${prefix}-${i + 1}`));
}

export async function status(url: string): Promise<any> {
  return (await fetch(`${url}/api/status`)).json();
}

/** Polls /api/status until `predicate` holds. */
export async function waitForStatus(url: string, predicate: (s: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(url).catch(() => undefined);
    if (s && predicate(s)) return s;
    if (Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify(s)}`);
    await Bun.sleep(100);
  }
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}
