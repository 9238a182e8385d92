/**
 * Set-up for the hardening tests: like crawl-support's, but the config takes
 * any extra top-level keys (access, tls, admin) and a dataDir of its own, and
 * the server may listen on https.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { StartOptions } from "../support/wg-sim/server";
import { startSimulator } from "../support/wg-sim/server";
import { addToken, writeServerConfig } from "../support/processes";
import { createTestDatabase } from "../support/db";
import { KEY, smallWorld } from "./crawl-support";
import type { World } from "../support/wg-sim/model";

/** 100 batches: enough to crawl for a few seconds, small enough to keep the tests short. */
export const TINY_RANGES = {
  xbox: { min: 5_000, max: 10_000 },
  ps: { min: 1_073_740_000, max: 1_073_745_000 },
};

export interface HardenedSetup {
  sim: ReturnType<typeof startSimulator>;
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  dir: string;
  configPath: string;
  env: Record<string, string>;
  world: World;
  ranges: typeof TINY_RANGES;
  token(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function setUpHardened(options: {
  seed: number;
  day: string;
  keyRps?: number | null;
  sim?: Partial<StartOptions>;
  server?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  ranges?: typeof TINY_RANGES;
  /** The WG base URL clients are told (e.g. a mangling proxy in front of the simulator). */
  apiBase?: (simUrl: string) => string;
  databaseUrl?: string;
  /** Replaces the single catch-all key; each application_id must also be given to the simulator (`sim.keys`). */
  keys?: { applicationId: string; rps: number | null; clients: string[] }[];
  /** More of the config's wg section (volunteerKeys, ...). */
  wg?: Record<string, unknown>;
}): Promise<HardenedSetup> {
  const world = smallWorld(options.seed);
  const ranges = options.ranges ?? TINY_RANGES;
  const sim = startSimulator({ world, day: options.day, keys: [KEY], ...options.sim });
  const db = await createTestDatabase();
  const { dir, configPath } = await writeServerConfig({});
  await Bun.write(
    configPath,
    JSON.stringify({
      server: { host: "127.0.0.1", port: 0, progressSeconds: 1, leaseSeconds: 30, dataDir: join(dir, "data"), ...options.server },
      wg: {
        apiBase: options.apiBase ? options.apiBase(sim.url) : sim.url,
        requestTimeoutMs: 2_000,
        maxAttempts: 20,
        keys: options.keys ?? [{ applicationId: KEY, rps: options.keyRps ?? null, clients: ["*"] }],
        ...options.wg,
      },
      ranges,
      ...options.extra,
    }),
  );
  const env = { DATABASE_URL: options.databaseUrl ?? db.url };
  return {
    sim,
    db,
    dir,
    configPath,
    env,
    world,
    ranges,
    token: (name) => addToken(configPath, name, env),
    async cleanup() {
      await sim.stop();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The hardening tests start their server the way the crawl tests do. */
export { startCrawlServer as startHardenedServer } from "./crawl-support";

/** Resident memory of a process in MiB, from /proc (Linux). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = Number(status.match(/VmRSS:\s+(\d+)\s+kB/)?.[1] ?? NaN);
  return kb / 1024;
}

/** Opens a work socket and collects what the server sends; resolves once open (or closed first). */
export function openWorkSocket(url: string, token: string, name = "probe") {
  const messages: any[] = [];
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/work?name=${name}`, { headers: { authorization: `Bearer ${token}` } } as any);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
  const opened = new Promise<boolean>((resolve) => {
    socket.addEventListener("open", () => resolve(true));
    void closed.then(() => resolve(false));
  });
  socket.addEventListener("message", (e) => messages.push(JSON.parse(String(e.data))));
  return { socket, messages, opened, closed };
}
