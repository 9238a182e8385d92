/**
 * `bun run bench client-rate [R] [seconds]`: one client against a simulator that
 * allows R requests/s for the key (a token bucket holding one second), through
 * the real server. Over a steady window it measures IDs/s as a share of R x 100
 * and the share of requests answered REQUEST_LIMIT_EXCEEDED.
 * Targets: rate share >= 0.99, 407 share < 0.005.
 */
import { startSimulator } from "../tests/support/wg-sim/server";
import { runCrawl, startBenchDatabase } from "./support/stack";

export async function main(args: string[]): Promise<void> {
  const rps = Number(args[0] ?? 20);
  const windowSeconds = Number(args[1] ?? 30);
  const warmupSeconds = 3;
  // Enough IDs that the run outlasts warm-up + window by a margin.
  const batches = Math.ceil(rps * (warmupSeconds + windowSeconds + 5));
  const half = Math.ceil(batches / 2) * 100;
  const ranges = { xbox: { min: 5_000, max: 5_000 + half }, ps: { min: 1_073_740_000, max: 1_073_740_000 + half } };
  const database = await startBenchDatabase();
  const sim = startSimulator({ seed: 1, day: "2026-11-27", keys: ["rate-key"], rps });
  let first: { at: number; ids: number; requests: number; limited: number } | undefined;
  let last: typeof first;
  const sample = () => {
    const s = sim.stats();
    return { at: performance.now(), ids: s.idsAnswered, requests: s.requests, limited: s.rateLimited };
  };
  try {
    const url = await database.create("bench_client_rate");
    let startedAt: number | undefined;
    await runCrawl({
      databaseUrl: url,
      apiBase: sim.url,
      applicationId: "rate-key",
      rps,
      ranges,
      clients: 1,
      date: "2026-11-27",
      rssEveryMs: 1000,
      onStatus: () => {
        const now = performance.now();
        startedAt ??= now;
        const elapsed = (now - startedAt) / 1000;
        if (elapsed >= warmupSeconds && !first) first = sample();
        if (first && elapsed <= warmupSeconds + windowSeconds) last = sample();
      },
    });
  } finally {
    await sim.stop();
    await database.stop();
  }
  if (!first || !last || last.at === first.at) throw new Error("the run ended before the measuring window");
  const seconds = (last.at - first.at) / 1000;
  const idsPerSecond = (last.ids - first.ids) / seconds;
  const requests = last.requests - first.requests;
  const limited = last.limited - first.limited;
  console.log(`WG limit ${rps} requests/s (${rps * 100} IDs/s), window ${seconds.toFixed(1)} s after ${warmupSeconds} s warm-up`);
  console.log(`client: ${Math.round(idsPerSecond).toLocaleString("en-US")} IDs/s, ${requests} requests, ${limited} answered REQUEST_LIMIT_EXCEEDED`);
  console.log(`rate share = ${(idsPerSecond / (rps * 100)).toFixed(3)}, 407 share = ${(requests ? limited / requests : 0).toFixed(3)}`);
}
