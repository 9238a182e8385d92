/**
 * The run's error counts, one place for all of them: named counts that the
 * progress line, the status, the metrics and the summary read, and that are
 * added to the run's row as they happen (flush), so a restarted server still
 * reports what happened before it.
 */
export class RunErrors {
  private readonly counts = new Map<string, number>();
  private readonly unsaved = new Map<string, number>();

  constructor(saved: Record<string, number> = {}) {
    for (const [name, n] of Object.entries(saved)) this.counts.set(name, n);
  }

  add(name: string, n = 1): void {
    if (n === 0) return;
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
    this.unsaved.set(name, (this.unsaved.get(name) ?? 0) + n);
  }

  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  all(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** What was added since the last call; give it back with `restore` when it could not be saved. */
  drain(): Record<string, number> {
    const out = Object.fromEntries(this.unsaved);
    this.unsaved.clear();
    return out;
  }

  restore(unsaved: Record<string, number>): void {
    for (const [name, n] of Object.entries(unsaved)) this.unsaved.set(name, (this.unsaved.get(name) ?? 0) + n);
  }
}
