/**
 * The run's figures over time for the dashboard's charts: one point a second,
 * at most `capacity` points. When full, neighbouring points are merged, so a
 * six-hour run is still drawn whole (at coarser steps) in the same memory.
 */
export interface SeriesPoint {
  /** Seconds since the epoch. */
  t: number;
  idsPerSecond: number;
  batchesDone: number;
}

export interface SeriesColumns {
  t: number[];
  idsPerSecond: number[];
  batchesDone: number[];
}

export class RunSeries {
  private points: SeriesPoint[] = [];
  /** Seconds between points; doubles at each merge. */
  private step = 1;
  private lastAt = -Infinity;
  /** The newest sample between two kept points: drawn, so the chart's right end is always now. */
  private tail: SeriesPoint | undefined;

  constructor(readonly capacity = 600) {}

  add(point: SeriesPoint): void {
    if (point.t - this.lastAt < this.step) {
      this.tail = point;
      return;
    }
    this.tail = undefined;
    this.lastAt = point.t;
    this.points.push(point);
    if (this.points.length < this.capacity) return;
    const merged: SeriesPoint[] = [];
    for (let i = 0; i + 1 < this.points.length; i += 2) {
      const [a, b] = [this.points[i]!, this.points[i + 1]!];
      merged.push({ t: b.t, idsPerSecond: (a.idsPerSecond + b.idsPerSecond) / 2, batchesDone: b.batchesDone });
    }
    if (this.points.length % 2 === 1) merged.push(this.points.at(-1)!);
    this.points = merged;
    this.step *= 2;
  }

  clear(): void {
    this.points = [];
    this.step = 1;
    this.lastAt = -Infinity;
    this.tail = undefined;
  }

  /** Column arrays, as uPlot takes them. */
  columns(): SeriesColumns {
    const points = this.tail ? [...this.points, this.tail] : this.points;
    return {
      t: points.map((p) => p.t),
      idsPerSecond: points.map((p) => Math.round(p.idsPerSecond)),
      batchesDone: points.map((p) => p.batchesDone),
    };
  }
}
