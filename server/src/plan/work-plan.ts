/**
 * The day's work: each platform's [min, max) cut into batches of 100 IDs.
 * Batches are computed from their index, never stored, so a full-size plan
 * (268,000 batches) costs nothing to hold.
 */
import { PLATFORMS, type Platform } from "@wotc/schema/player";
import { BATCH_SIZE, type Batch } from "@wotc/schema/wire/messages";

export type IdRange = { min: number; max: number };
export type RunRanges = Record<Platform, IdRange>;

interface PlatformSpan {
  platform: Platform;
  range: IdRange;
  firstId: number; // batch id of this platform's first batch
  count: number;
}

export class WorkPlan {
  readonly total: number;
  readonly ids: number;
  private readonly spans: PlatformSpan[];

  constructor(
    readonly ranges: RunRanges,
    readonly batchSize = BATCH_SIZE,
  ) {
    let firstId = 0;
    this.spans = PLATFORMS.map((platform) => {
      const range = ranges[platform];
      const count = Math.ceil((range.max - range.min) / batchSize);
      const span = { platform, range, firstId, count };
      firstId += count;
      return span;
    });
    this.total = firstId;
    this.ids = PLATFORMS.reduce((sum, platform) => sum + ranges[platform].max - ranges[platform].min, 0);
  }

  batch(id: number): Batch {
    const span = this.spanOf(id);
    const start = span.range.min + (id - span.firstId) * this.batchSize;
    return { id, platform: span.platform, start, end: Math.min(start + this.batchSize, span.range.max) };
  }

  /** The batch id for a batch recorded in the ledger, or undefined if it is not part of this plan. */
  idOf(platform: Platform, start: number): number | undefined {
    const span = this.spans.find((s) => s.platform === platform)!;
    const offset = start - span.range.min;
    if (offset < 0 || start >= span.range.max || offset % this.batchSize !== 0) return undefined;
    return span.firstId + offset / this.batchSize;
  }

  private spanOf(id: number): PlatformSpan {
    for (const span of this.spans) if (id < span.firstId + span.count) return span;
    throw new RangeError(`batch ${id} is outside the plan (${this.total} batches)`);
  }
}
