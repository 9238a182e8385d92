/**
 * Capped exponential back-off with "full jitter" (a random delay between half
 * and all of the exponential step), so that many clients retrying after the same
 * outage do not come back in lock-step.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next try; each call doubles the ceiling up to maxMs. */
  next(): number {
    const ceiling = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
