/**
 * What the demo crawls: a world of about 200,000 account IDs (100,000 per
 * platform, the top of each range still empty), two simulated days ending
 * today, and the config the tracker gets for it.
 */
import type { ServerConfigInput } from "@wotc/schema/config";
import type { World } from "../tests/support/wg-sim/model";

export const DEMO_KEY = "demo-key";
export const DEMO_VOLUNTEERS = [
  { token: "alice", name: "alice-pc" },
  { token: "bob", name: "bob-laptop" },
] as const;

export const DEMO_RANGES = {
  xbox: { min: 5_000, max: 105_000 },
  ps: { min: 1_073_740_000, max: 1_073_840_000 },
};

/** Yesterday and today (UTC): the last-days table and the 30-day leaderboard show them as recent. */
export function demoDays(now = Date.now()): [string, string] {
  const day = (offset: number) => new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
  return [day(-1), day(0)];
}

export function demoWorld(firstDay: string): World {
  // Ten days of history before the first: by then the frontier is 4,000 IDs higher, still below the ranges' max.
  const epoch = new Date(Date.parse(`${firstDay}T00:00:00Z`) - 10 * 86_400_000).toISOString().slice(0, 10);
  return {
    seed: 2026,
    epoch,
    platforms: {
      xbox: { min: 5_000, frontier: 90_000, growthPerDay: 400 },
      ps: { min: 1_073_740_000, frontier: 1_073_830_000, growthPerDay: 400 },
    },
  };
}

export function demoConfig(options: { port: number; dataDir: string; apiBase: string; rps: number | null }): ServerConfigInput {
  return {
    server: { host: "127.0.0.1", port: options.port, dataDir: options.dataDir, progressSeconds: 5 },
    wg: { apiBase: options.apiBase, keys: [{ applicationId: DEMO_KEY, rps: options.rps, clients: ["*"] }] },
    ranges: DEMO_RANGES,
    // The demo's range stays the same both days; growth is shown by the real server.
    growth: { margin: 0 },
    schedule: { time: "00:30" },
  };
}
