/** Events per second over a sliding window of whole seconds. */
export class RateMeter {
  private readonly buckets: Float64Array;
  private readonly stamps: Float64Array;
  private firstSecond: number | undefined;

  constructor(
    private readonly windowSeconds = 10,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new Float64Array(windowSeconds + 1);
    this.stamps = new Float64Array(windowSeconds + 1).fill(-1);
  }

  record(amount: number): void {
    const second = Math.floor(this.now() / 1000);
    this.firstSecond ??= second;
    const slot = second % this.buckets.length;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      this.buckets[slot] = 0;
    }
    this.buckets[slot]! += amount;
  }

  /** The rate over the last full seconds of the window (the current partial second is left out). */
  perSecond(): number {
    const current = Math.floor(this.now() / 1000);
    let sum = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const age = current - this.stamps[i]!;
      if (age >= 1 && age <= this.windowSeconds) sum += this.buckets[i]!;
    }
    // Early in a run the window is not yet full: divide by the seconds actually seen.
    const seen = this.firstSecond === undefined ? 1 : Math.min(this.windowSeconds, Math.max(1, current - this.firstSecond));
    return sum / seen;
  }
}
