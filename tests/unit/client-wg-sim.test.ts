/**
 * The client's WG side (caller + batch worker) against the project's WG API
 * simulator: faults never lose or corrupt a batch, and at its share the
 * client keeps WG's token bucket happy while using nearly all of it.
 */
import { afterEach, expect, test } from "bun:test";
import { WG_FIELDS } from "@wotc/schema/player";
import type { ClientMessage } from "@wotc/schema/wire/messages";
import { BatchWorker } from "../../client/src/batch-worker";
import type { Logger } from "../../client/src/log";
import { RateLimiter } from "../../client/src/rate-limiter";
import { ClientCounters } from "../../client/src/stats";
import { WgCaller, type WgSettings } from "../../client/src/wg";
import { playerRowsIn } from "../support/wg-sim/model";
import { type RunningSimulator, startSimulator } from "../support/wg-sim/server";

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
let sim: RunningSimulator | null = null;
afterEach(async () => {
  await sim?.stop();
  sim = null;
}, 60_000);

function worker(sim: RunningSimulator, rps: number | null, inFlight: number, overrides: Partial<WgSettings> = {}) {
  const counters = new ClientCounters();
  const limiter = new RateLimiter(rps, inFlight);
  const settings: WgSettings = {
    applicationId: sim.keys[0],
    apiBase: sim.url,
    fields: [...WG_FIELDS],
    language: "en",
    requestTimeoutMs: 5_000,
    maxAttempts: 5,
    ...overrides,
  };
  const caller = new WgCaller({ settings, limiter, counters, retry: { initialMs: 5, maxMs: 50 } });
  const sent: ClientMessage[] = [];
  const batchWorker = new BatchWorker({ caller, counters, log: quiet, send: (m) => sent.push(m) });
  return { counters, limiter, sent, batchWorker };
}

test("under every injected fault each batch still comes back, with exactly the simulator's rows", async () => {
  sim = startSimulator({
    seed: 7,
    faults: { sourceNotAvailable: 0.05, html502: 0.05, http500: 0.05, truncated: 0.05, slow: 0.03, slowMs: 1_000 },
  });
  const { sent, counters, batchWorker } = worker(sim, null, 16, { requestTimeoutMs: 300, maxAttempts: 12 });
  const batches = Array.from({ length: 40 }, (_, i) => ({ id: i, platform: "xbox" as const, start: 5_000 + i * 100, end: 5_100 + i * 100 }));
  batchWorker.add(batches);
  await batchWorker.idle();

  expect(sent.filter((m) => m.type === "failed")).toEqual([]);
  const { day } = sim.stats();
  for (const batch of batches) {
    const result = sent.find((m) => m.type === "result" && m.id === batch.id);
    if (result?.type !== "result") throw new Error(`no result for batch ${batch.id}`);
    const rows = [...result.rows].sort((a, b) => a[0] - b[0]);
    expect(rows).toEqual(playerRowsIn(sim.simulator.world, batch.start, batch.end, day));
  }
  expect(counters.retries).toBeGreaterThan(0);
  const kinds = Object.keys(Object.fromEntries(counters.retryKinds)).sort();
  expect(kinds).toEqual(["bad-json", "http-error", "source-not-available", "timeout"]);
});

test("at its share of a key the client uses nearly all of it and is almost never rate-limited", async () => {
  const rps = 50;
  sim = startSimulator({ seed: 3, rps });
  const { counters, batchWorker } = worker(sim, rps, 32);
  let next = 5_000;
  let id = 0;
  const refill = () => {
    const batches = [];
    while (batchWorker.size + batches.length < 32) batches.push({ id: id++, platform: "xbox" as const, start: next, end: (next += 100) });
    batchWorker.add(batches);
  };
  const timer = setInterval(refill, 5);
  refill();
  const started = performance.now();
  await Bun.sleep(3_000);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  batchWorker.abort();

  const idsPerSecond = counters.ids / seconds;
  const limitedShare = counters.rateLimited / counters.requests;
  console.log(`client at ${rps} req/s: ${Math.round(idsPerSecond)} IDs/s (${((idsPerSecond / (rps * 100)) * 100).toFixed(1)}% of R×100), ${counters.rateLimited}/${counters.requests} rate-limited`);
  // The limiter's spacing is checked exactly in client-rate-limiter.test.ts; here, a
  // loaded machine may delay answers, so the wall-clock bound keeps some slack.
  expect(idsPerSecond).toBeGreaterThanOrEqual(0.95 * rps * 100);
  expect(limitedShare).toBeLessThan(0.005);
});
