import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../client/src/manual-clock";
import { RateLimiter, type RateLimiterOptions } from "../../client/src/rate-limiter";
import { createLimiter, type LimiterKind } from "../support/wg-sim/rate-limit";

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

/** WG's side, as the simulator counts it: how many of these request times (ms) it would refuse. */
function countRejected(starts: number[], rps: number, kind: LimiterKind = "token-bucket"): number {
  const limiter = createLimiter(kind, rps, 0);
  return [...starts].sort((a, b) => a - b).filter((at) => !limiter.take(at)).length;
}

/** The most requests in any window (t - 1000, t] of these times. */
function busiestSecond(starts: number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/**
 * A client that always has work: `lanes` requests in flight, each taking
 * `latencyMs`, for `seconds` of simulated time. Returns every start time.
 */
async function simulate(opts: {
  rps: number;
  lanes: number;
  latencyMs: number;
  seconds: number;
  clock: ManualClock;
  limiter?: RateLimiter;
  options?: RateLimiterOptions;
}) {
  const limiter = opts.limiter ?? new RateLimiter(opts.rps, opts.lanes, { clock: opts.clock, ...opts.options });
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

/** Start times of `n` requests queued at once on a fresh limiter. */
async function queued(limiter: RateLimiter, clock: ManualClock, n: number, ms = 10_000): Promise<number[]> {
  const starts: number[] = [];
  for (let i = 0; i < n; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
  await clock.advance(ms);
  return starts;
}

describe("rate limiter pacing", () => {
  test("starts queued requests one slot apart, a second plus the margin over the allotment, not in a burst", async () => {
    const clock = new ManualClock();
    const starts = await queued(new RateLimiter(10, 100, { clock, windowMarginMs: 5 }), clock, 20);
    expect(starts).toEqual(Array.from({ length: 20 }, (_, i) => i * 100.5));
  });

  test("an idle limiter grants no burst: after a pause the spacing starts afresh", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1, 10, { clock, windowMarginMs: 0 });
    (await limiter.acquire())();
    await clock.advance(5_000);
    expect(await queued(limiter, clock, 3, 5_000)).toEqual([5_000, 6_000, 7_000]);
  });

  test("at its share it sustains >= 99% of R and neither a token bucket nor a strict sliding window refuses it, even when timers fire late", async () => {
    const random = mulberry32(42);
    for (const rps of [1, 2, 10, 20, 50, 300]) {
      const clock = new ManualClock(() => random() * 8); // every timer 0-8 ms late
      const { starts } = await simulate({ rps, lanes: Math.ceil(rps / 2) + 2, latencyMs: 400, seconds: 20, clock });
      expect({ rps, enough: starts.length >= Math.floor(0.99 * rps * 20) }).toEqual({ rps, enough: true });
      expect({ rps, busiest: busiestSecond(starts) <= rps }).toEqual({ rps, busiest: true });
      expect({ rps, bucket: countRejected(starts, rps, "token-bucket"), window: countRejected(starts, rps, "sliding-window") }).toEqual({
        rps,
        bucket: 0,
        window: 0,
      });
    }
  });

  test("a fractional share is kept in every window: one request per 1/R below 1/s, floor(R) per second above", async () => {
    const clock = new ManualClock();
    const slow = await queued(new RateLimiter(0.5, 10, { clock, windowMarginMs: 0 }), clock, 3);
    expect(slow).toEqual([0, 2_000, 4_000]);
    const odd = await simulate({ rps: 6.67, lanes: 8, latencyMs: 200, seconds: 30, clock: new ManualClock() });
    expect(busiestSecond(odd.starts)).toBe(6);
  });

  test("requests overlap: with slow answers, starts still follow the pace, not the previous answer", async () => {
    const clock = new ManualClock();
    const { starts } = await simulate({ rps: 20, lanes: 40, latencyMs: 1_000, seconds: 5, clock, options: { windowMarginMs: 0 } });
    expect(starts.slice(0, 5)).toEqual([0, 50, 100, 150, 200]);
    expect(starts.length).toBe(100);
  });

  test("a limiter slower than the answers is bounded by the in-flight count instead", async () => {
    const clock = new ManualClock();
    const { starts } = await simulate({ rps: 1_000, lanes: 2, latencyMs: 100, seconds: 1, clock });
    expect(starts.length).toBe(20); // 2 at a time, 100 ms each
  });
});

describe("rate limiter under a strict sliding window (fake clock)", () => {
  test("a late timer is made up for only as far as the window allows: never more than the allotment in a second", async () => {
    // timers mostly on time, now and then 40 ms late: catching up must not squeeze 21 starts into a second
    const random = mulberry32(7);
    const clock = new ManualClock(() => (random() < 0.1 ? 40 : 0));
    const { starts } = await simulate({ rps: 20, lanes: 30, latencyMs: 300, seconds: 60, clock });
    expect(busiestSecond(starts)).toBeLessThanOrEqual(20);
    expect(countRejected(starts, 20, "sliding-window")).toBe(0);
    expect(starts.length).toBeGreaterThanOrEqual(0.985 * 20 * 60);
  });

  test("three clients sharing a key at 7 + 7 + 6 never exceed it together in any second, whatever their phases", async () => {
    const random = mulberry32(99);
    for (const offsets of [[0, 0, 0], [0, 1, 2], [13, 500, 777]]) {
      const clock = new ManualClock(() => random() * 6);
      const steady = await threeSharing(clock, offsets, {});
      expect({ offsets, busiest: busiestSecond(steady), refused: countRejected(steady, 20, "sliding-window") }).toEqual({
        offsets,
        busiest: expect.any(Number),
        refused: 0,
      });
      expect(busiestSecond(steady)).toBeLessThanOrEqual(20);
      expect(steady.length).toBeGreaterThanOrEqual(0.97 * 20 * 30);
    }
  });

  test("a smaller share applies at once, counting what was sent under the larger one", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(20, 40, { clock, windowMarginMs: 0 });
    const starts: number[] = [];
    for (let i = 0; i < 40; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
    await clock.advance(490); // 10 started, at 0, 50, …, 450
    limiter.configure(10, 40); // another client joined
    await clock.advance(3_000);
    const all = starts.filter((t) => t < 3_500);
    expect(busiestSecond(all)).toBeLessThanOrEqual(20);
    // from the change on, no window holds more than 10 of this client's requests
    for (let t = 0; t < 3_500; t += 10) expect(all.filter((s) => s > t - 1000 && s <= t).length).toBeLessThanOrEqual(t < 1_000 ? 20 : 10);
    expect(all.filter((t) => t >= 490 && t < 1_000)).toEqual([]); // it had already sent 10 in the last second
  });

  test("a larger share applies one window later: the client that left may just have sent", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(10, 40, { clock, windowMarginMs: 0 });
    const starts: number[] = [];
    for (let i = 0; i < 40; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
    await clock.advance(250); // started at 0, 100, 200
    limiter.configure(20, 40); // the other holder left
    await clock.advance(2_000);
    expect(starts.filter((t) => t < 1_250)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000, 1_100, 1_200]);
    expect(starts.filter((t) => t >= 1_250 && t < 1_500)).toEqual([1_250, 1_300, 1_350, 1_400, 1_450]);
  });
});

describe("rate limiter in groups (groupSize)", () => {
  test("starts queued requests in fours on slots four intervals apart", async () => {
    const clock = new ManualClock();
    const starts = await queued(new RateLimiter(20, 100, { clock, windowMarginMs: 5, groupSize: 4 }), clock, 12);
    const slot = (4 * 1005) / 20;
    expect(starts).toEqual([0, 0, 0, 0, slot, slot, slot, slot, 2 * slot, 2 * slot, 2 * slot, 2 * slot]);
  });

  test("a share the group size does not divide falls back to the largest group that does", async () => {
    const clock = new ManualClock();
    const sixes = await queued(new RateLimiter(6, 100, { clock, windowMarginMs: 0, groupSize: 4 }), clock, 6);
    expect(sixes).toEqual([0, 0, 0, 1000 / 2, 1000 / 2, 1000 / 2]);
    const other = new ManualClock();
    const sevens = await queued(new RateLimiter(7, 100, { clock: other, windowMarginMs: 0, groupSize: 4 }), other, 3);
    expect(sevens).toEqual([0, 1000 / 7, 2000 / 7]);
  });

  test("in fours, at its share, with late timers, a strict window refuses nothing and >= 99% of R is used", async () => {
    const random = mulberry32(11);
    const clock = new ManualClock(() => (random() < 0.1 ? 40 : random() * 3));
    const { starts } = await simulate({ rps: 20, lanes: 30, latencyMs: 300, seconds: 60, clock, options: { groupSize: 4 } });
    expect(busiestSecond(starts)).toBeLessThanOrEqual(20);
    expect(countRejected(starts, 20, "sliding-window")).toBe(0);
    expect(countRejected(starts, 20, "token-bucket")).toBe(0);
    expect(starts.length).toBeGreaterThanOrEqual(0.99 * 20 * 60 * (1000 / 1005));
  });

  test("three clients in groups sharing a key at 7 + 7 + 6 never exceed it together in any second", async () => {
    const random = mulberry32(5);
    for (const offsets of [[0, 0, 0], [0, 1, 2], [13, 500, 777]]) {
      const clock = new ManualClock(() => random() * 6);
      const steady = await threeSharing(clock, offsets, { groupSize: 4 });
      expect({ offsets, busiest: busiestSecond(steady), refused: countRejected(steady, 20, "sliding-window") }).toEqual({
        offsets,
        busiest: expect.any(Number),
        refused: 0,
      });
      expect(steady.length).toBeGreaterThanOrEqual(0.97 * 20 * 30);
    }
  });
});

/** Starts of three clients sharing a 20/s key at 7 + 7 + 6, each starting at its offset, six lanes each, over 30 s. */
async function threeSharing(clock: ManualClock, offsets: number[], options: { groupSize?: number }): Promise<number[]> {
  const all: number[] = [];
  const runs = [7, 7, 6].map(async (rps, i) => {
    await new Promise<void>((resolve) => clock.setTimer(resolve, offsets[i]!));
    const limiter = new RateLimiter(rps, 12, { clock, ...options });
    const lane = async () => {
      while (clock.now() < 30_000) {
        const permit = await limiter.acquire();
        all.push(clock.now());
        await new Promise<void>((resolve) => clock.setTimer(resolve, 250));
        permit();
      }
    };
    for (let l = 0; l < 6; l++) void lane();
  });
  void Promise.all(runs);
  await clock.advance(30_000);
  return all.filter((t) => t < 30_000);
}

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
    const limiter = new RateLimiter(10, 10, { clock, decreaseFactor: 0.5, recoveryPerSecond: 0, windowMarginMs: 0, marginStepMs: 0 });
    limiter.onRateLimited();
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
    await clock.advance(1_000);
    expect(starts).toEqual([0, 200, 400]);
  });

  test("a new share from the server applies to requests already waiting", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(100, 10, { clock, windowMarginMs: 0 });
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) void limiter.acquire().then((permit) => (starts.push(clock.now()), permit()));
    await clock.advance(5);
    limiter.configure(10, 10);
    await clock.advance(1_000);
    expect(starts).toEqual([0, 100, 200, 300]);
  });
});

describe("rate limiter margin", () => {
  test("a rate-limited answer widens the window margin, which narrows again slowly to where it started", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(20, 30, { clock, windowMarginMs: 5, marginStepMs: 10, marginDecayMs: 10_000, cooldownMs: 1_000 });
    expect(limiter.currentMarginMs()).toBe(5);
    limiter.onRateLimited();
    limiter.onRateLimited(); // within the cooldown: the same overload
    expect(limiter.currentMarginMs()).toBe(15);
    await clock.advance(50_000);
    expect(limiter.currentMarginMs()).toBe(10);
    await clock.advance(100_000);
    expect(limiter.currentMarginMs()).toBe(5);
  });

  test("once widened past a path's jitter, a strict window stops refusing, at a small cost in rate", async () => {
    // requests reach WG 0-25 ms after they start: more than the first 5 ms of margin
    const random = mulberry32(3);
    const clock = new ManualClock();
    const limiter = new RateLimiter(20, 30, { clock, cooldownMs: 1_000 });
    const wg = createLimiter("sliding-window", 20, 0);
    const refusedAt: number[] = [];
    const lane = async () => {
      while (clock.now() < 300_000) {
        const permit = await limiter.acquire();
        const arrival = clock.now() + random() * 25;
        await new Promise<void>((resolve) => clock.setTimer(resolve, arrival - clock.now()));
        if (!wg.take(clock.now())) {
          refusedAt.push(clock.now());
          limiter.onRateLimited();
        }
        await new Promise<void>((resolve) => clock.setTimer(resolve, 200));
        permit();
      }
    };
    for (let i = 0; i < 10; i++) void lane();
    await clock.advance(300_000);
    const late = refusedAt.filter((t) => t > 60_000).length;
    expect(refusedAt.length).toBeGreaterThan(0);
    expect(late / (20 * 240)).toBeLessThan(0.005); // after the first minute, under 0.5% of requests
    expect(limiter.currentMarginMs()).toBeGreaterThan(15);
    expect(limiter.currentMarginMs()).toBeLessThanOrEqual(55);
  });
});
