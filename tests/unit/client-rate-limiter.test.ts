import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../client/src/manual-clock";
import { RateLimiter } from "../../client/src/rate-limiter";

/** Deterministic PRNG so "random" timer lateness is the same every run. */
function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** WG's side: a token bucket of capacity R refilled at R/s, full at the start. */
function countRejected(starts: number[], rps: number): number {
  let tokens = rps;
  let last = 0;
  let rejected = 0;
  for (const at of starts) {
    tokens = Math.min(rps, tokens + ((at - last) / 1000) * rps);
    last = at;
    if (tokens >= 1 - 1e-9) tokens -= 1;
    else rejected++;
  }
  return rejected;
}

/**
 * A client that always has work: `lanes` requests in flight, each taking
 * `latencyMs`, for `seconds` of simulated time. Returns every start time.
 */
async function simulate(opts: { rps: number; lanes: number; latencyMs: number; seconds: number; clock: ManualClock }) {
  const limiter = new RateLimiter(opts.rps, opts.lanes, { clock: opts.clock });
  const starts: number[] = [];
  const stopAt = opts.seconds * 1000;
  const lane = async () => {
    while (opts.clock.now() < stopAt) {
      const permit = await limiter.acquire();
      if (opts.clock.now() >= stopAt) return permit();
      starts.push(opts.clock.now());
      await new Promise<void>((resolve) => opts.clock.setTimer(resolve, opts.latencyMs));
      permit();
    }
  };
  for (let i = 0; i < opts.lanes; i++) void lane();
  // lanes still waiting for a slot after stopAt are simply abandoned
  await opts.clock.advance(stopAt + 1000);
  return { starts, limiter };
}

describe("rate limiter pacing", () => {
  test("starts queued requests one interval apart, not in a burst", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(10, 100, { clock });
    const starts: number[] = [];
    for (let i = 0; i < 20; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
    await clock.advance(5_000);
    expect(starts).toEqual(Array.from({ length: 20 }, (_, i) => i * 100));
  });

  test("an idle limiter grants no burst: after a pause the spacing starts afresh", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1, 10, { clock });
    (await limiter.acquire())();
    await clock.advance(5_000);
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
    await clock.advance(5_000);
    expect(starts).toEqual([5_000, 6_000, 7_000]);
  });

  test("at its share it sustains >= 99% of R with no bucket rejections, even when timers fire late", async () => {
    const random = mulberry32(42);
    for (const rps of [1, 2, 10, 50, 300]) {
      const clock = new ManualClock(() => random() * 8); // every timer 0-8 ms late
      const { starts } = await simulate({ rps, lanes: Math.ceil(rps / 2) + 2, latencyMs: 400, seconds: 20, clock });
      expect(starts.length).toBeGreaterThanOrEqual(Math.floor(0.99 * rps * 20));
      expect(starts.length).toBeLessThanOrEqual(rps * 20 + 1);
      expect(countRejected(starts, rps)).toBe(0);
    }
  });

  test("requests overlap: with slow answers, starts still follow the pace, not the previous answer", async () => {
    const clock = new ManualClock();
    const { starts } = await simulate({ rps: 20, lanes: 40, latencyMs: 1_000, seconds: 5, clock });
    expect(starts.slice(0, 5)).toEqual([0, 50, 100, 150, 200]);
    expect(starts.length).toBe(100);
  });

  test("a limiter slower than the answers is bounded by the in-flight count instead", async () => {
    const clock = new ManualClock();
    const { starts } = await simulate({ rps: 1_000, lanes: 2, latencyMs: 100, seconds: 1, clock });
    expect(starts.length).toBe(20); // 2 at a time, 100 ms each
  });
});

describe("rate limiter without a rate", () => {
  test("rps null lets maxConcurrent requests run at once, the next when one finishes", async () => {
    const limiter = new RateLimiter(null, 3, { clock: new ManualClock() });
    const permits: (() => void)[] = [];
    for (let i = 0; i < 5; i++) void limiter.acquire().then((permit) => permits.push(permit));
    await Promise.resolve();
    await Promise.resolve();
    expect(permits.length).toBe(3);
    expect(limiter.queued).toBe(2);
    permits[0]();
    permits[0](); // a double release must not free two slots
    await Promise.resolve();
    await Promise.resolve();
    expect(permits.length).toBe(4);
    expect(limiter.inFlight).toBe(3);
  });

  test("rps 0 starts nothing until the server grants a rate", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(0, 10, { clock });
    let started = 0;
    void limiter.acquire().then(() => started++);
    await clock.advance(10_000);
    expect(started).toBe(0);
    limiter.configure(5, 10);
    await clock.advance(1);
    expect(started).toBe(1);
  });

  test("an aborted wait leaves the queue and rejects with the abort reason", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1, 10, { clock });
    (await limiter.acquire())();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error("session ended"));
    await expect(waiting).rejects.toThrow("session ended");
    expect(limiter.queued).toBe(0);
  });
});

describe("rate limiter adaptation", () => {
  test("a rate-limited answer slows the pace, answers within the cooldown do not slow it again", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(100, 10, { clock, decreaseFactor: 0.9, cooldownMs: 1_000, recoveryPerSecond: 0.05 });
    limiter.onRateLimited();
    limiter.onRateLimited();
    expect(limiter.currentRate()).toBeCloseTo(90, 5);
  });

  test("the pace recovers linearly to the full share", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(100, 10, { clock, decreaseFactor: 0.9, cooldownMs: 1_000, recoveryPerSecond: 0.05 });
    limiter.onRateLimited();
    await clock.advance(1_000);
    expect(limiter.currentRate()).toBeCloseTo(95, 5);
    await clock.advance(1_000);
    expect(limiter.currentRate()).toBe(100);
    await clock.advance(10_000);
    expect(limiter.currentRate()).toBe(100);
  });

  test("repeated overload cuts again after the cooldown but never below the floor", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(10, 10, { clock, decreaseFactor: 0.5, cooldownMs: 100, recoveryPerSecond: 0, minFraction: 0.2 });
    for (let i = 0; i < 10; i++) {
      limiter.onRateLimited();
      await clock.advance(100);
    }
    expect(limiter.currentRate()).toBeCloseTo(2, 5);
  });

  test("after a cut the requests are spaced wider", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(10, 10, { clock, decreaseFactor: 0.5, recoveryPerSecond: 0 });
    limiter.onRateLimited();
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
    await clock.advance(1_000);
    expect(starts).toEqual([0, 200, 400]);
  });

  test("a new share from the server applies to requests already waiting", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1, 10, { clock });
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
    await clock.advance(10);
    limiter.configure(100, 10);
    await clock.advance(1_000);
    expect(starts).toEqual([0, 10, 20, 30]);
  });
});
