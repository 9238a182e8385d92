/**
 * WG's per-application_id request limit (wg-api.md §5). How WG counts "N
 * requests per second" is not documented, so the simulator offers two
 * readings, and a client must hold under both:
 *
 * - `token-bucket`: `rps` tokens, refilled continuously at `rps`/s: the most
 *   forgiving reading, a second of burst after a pause;
 * - `sliding-window`: at most `rps` accepted requests in any one-second
 *   window, (t - 1000 ms, t]: the strictest; a request at exactly the rate
 *   passes, one a hair early does not.
 *
 * Refused requests do not count against the limit in either reading.
 */
export const LIMITER_KINDS = ["token-bucket", "sliding-window"] as const;
export type LimiterKind = (typeof LIMITER_KINDS)[number];

/** Who shares one limit: every request with the key, or only those from one client address. */
export const COUNTED_PER = ["key", "address"] as const;
export type CountedPer = (typeof COUNTED_PER)[number];

export interface Limiter {
  /** Spend one request at time `now` (ms); false when it exceeds the limit. */
  take(now: number): boolean;
}

export function createLimiter(kind: LimiterKind, rps: number, now: number): Limiter {
  if (!(rps > 0)) throw new RangeError(`rate limit ${rps}: must be a positive number of requests per second`);
  return kind === "token-bucket" ? new TokenBucket(rps, now) : new SlidingWindow(rps);
}

export class TokenBucket implements Limiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rps: number,
    now: number,
  ) {
    this.tokens = rps;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.rps, this.tokens + ((now - this.last) * this.rps) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The times of the last `floor(rps)` accepted requests, in a ring: a request
 * passes when the oldest of them is at least a second old. (A fractional rps
 * rounds down: "N per second" counts whole requests.)
 */
export class SlidingWindow implements Limiter {
  private readonly times: Float64Array;
  private next = 0;

  constructor(rps: number) {
    this.times = new Float64Array(Math.max(1, Math.floor(rps))).fill(-Infinity);
  }

  take(now: number): boolean {
    if (now - this.times[this.next]! < 1000) return false;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.times.length;
    return true;
  }
}
