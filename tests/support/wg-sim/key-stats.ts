/**
 * Requests per application_id, as WG would count them: how many, how many
 * were answered ok or refused for the rate, and the most that arrived within
 * any one second (a client keeping a key's rate never goes much above it).
 * Tests use it to see which client used which key.
 */
export interface KeyStats {
  /** Every request naming this application_id (known to the simulator or not). */
  requests: number;
  ok: number;
  rateLimited: number;
  /** The most requests that arrived within any 1,000 ms. */
  busiestSecond: number;
  /** performance.now() of the first and the last request. */
  firstAt: number;
  lastAt: number;
}

export class KeyTally {
  readonly stats: KeyStats;
  /** Arrival times of the last second's requests, oldest first. */
  private readonly window: number[] = [];

  constructor(now: number) {
    this.stats = { requests: 0, ok: 0, rateLimited: 0, busiestSecond: 0, firstAt: now, lastAt: now };
  }

  request(now: number): void {
    this.stats.requests++;
    this.stats.lastAt = now;
    this.window.push(now);
    while (this.window[0]! <= now - 1000) this.window.shift();
    this.stats.busiestSecond = Math.max(this.stats.busiestSecond, this.window.length);
  }
}
