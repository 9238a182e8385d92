/**
 * WG's per-application_id request limit (wg-api.md §5) as a token bucket that
 * holds one second of burst: `rps` tokens, refilled continuously at `rps`/s.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rps: number,
    now: number,
  ) {
    if (!(rps > 0)) throw new RangeError(`rate limit ${rps}: must be a positive number of requests per second`);
    this.tokens = rps;
    this.last = now;
  }

  /** Spend one token at time `now` (ms); false when the request exceeds the limit. */
  take(now: number): boolean {
    this.tokens = Math.min(this.rps, this.tokens + ((now - this.last) * this.rps) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
