/**
 * How fast a client may answer: one batch is one WG request, so at a rate
 * share of R requests/s a client cannot return more than about R results a
 * second. A token bucket per client: it starts full and holds the in-flight
 * window plus a second of the rate (at most `inFlight` requests run at once,
 * so that is the largest bunch of answers even after WG stalled), and
 * refills a quarter faster than the share, for clock noise and for a share
 * that grew a moment ago. A client that still runs it dry is not querying WG.
 */
export class PaceMeter {
  private rps: number | null = null;
  private capacity = 0;
  private tokens = 0;
  private last: number;

  constructor(private readonly now: () => number = Date.now) {
    this.last = now();
  }

  /** The client's share and in-flight window changed (or were first set). */
  configure(rps: number | null, inFlight: number): void {
    this.refill();
    const wasUnlimited = this.rps === null;
    this.rps = rps;
    this.capacity = rps === null ? Infinity : inFlight + rps + 2;
    // A smaller share does not take back what the client may still answer at the old one
    // (its requests in flight): the bucket only stops refilling until it is below the new size.
    if (wasUnlimited) this.tokens = this.capacity;
  }

  /** Counts one result; false when it came faster than the share allows. */
  take(): boolean {
    if (this.rps === null) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  describe(): string {
    return this.rps === null ? "no limit" : `${Math.round(this.rps * 10) / 10} requests/s`;
  }

  private refill(): void {
    const now = this.now();
    if (this.rps !== null && this.tokens < this.capacity) this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rps * 1.25);
    this.last = now;
  }
}
