/**
 * Gathers accepted results into chunks of about `chunkRows` player rows, so the
 * database sees a few large statements instead of one per batch. A chunk's
 * players leave packed (column-transfer.ts), built from each result's columns
 * as checked, with no row ever becoming a JS array on the way.
 */
import type { Platform } from "@wotc/schema/player";
import type { Batch } from "@wotc/schema/wire/messages";
import type { ResultColumns } from "@wotc/schema/wire/result-frame";
import type { ChunkBatch, PackedWriteJob, Provenance } from "../db/messages";
import { packResults } from "../db/column-transfer";

export interface BuiltChunk<Meta> {
  chunk: PackedWriteJob;
  /** Per batch of the chunk, in its order: the batch id and what the caller attached to it. */
  entries: { batchId: number; meta: Meta }[];
}

export class ChunkBuilder<Meta> {
  private results: { result: ResultColumns; platform: Platform }[] = [];
  private rowCount = 0;
  private batches: ChunkBatch[] = [];
  private entries: { batchId: number; meta: Meta }[] = [];
  private clearsFailed = false;

  constructor(
    private readonly runDate: string,
    private readonly chunkRows: number,
    /** Batches in one chunk at most: near the top of a range most batches are empty. */
    private readonly chunkBatches = 500,
  ) {}

  get rows(): number {
    return this.rowCount;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Adds a checked result (accounts in increasing order); returns a chunk when one is full. */
  add(batch: Batch, result: ResultColumns, provenance: Provenance, meta: Meta, clearsFailed = false): BuiltChunk<Meta> | undefined {
    this.results.push({ result, platform: batch.platform });
    this.rowCount += result.rows;
    this.batches.push(chunkBatch(batch, result, provenance));
    this.entries.push({ batchId: batch.id, meta });
    this.clearsFailed ||= clearsFailed;
    return this.rows >= this.chunkRows || this.size >= this.chunkBatches ? this.take() : undefined;
  }

  /** Whatever has gathered, as a chunk (the flush timer and the end of a run call this). */
  take(): BuiltChunk<Meta> | undefined {
    if (this.entries.length === 0) return undefined;
    // In account order (batches never overlap and each result is sorted), so the helper need not dedupe and sort 2,000 rows
    const order = this.batches.map((_, i) => i).sort((a, b) => this.batches[a]!.start - this.batches[b]!.start);
    const built = {
      chunk: {
        runDate: this.runDate,
        batches: order.map((i) => this.batches[i]!),
        players: packResults(order.map((i) => this.results[i]!)),
        ...(this.clearsFailed ? { clearsFailed: true } : {}),
      },
      entries: order.map((i) => this.entries[i]!),
    };
    this.results = [];
    this.rowCount = 0;
    this.batches = [];
    this.entries = [];
    this.clearsFailed = false;
    return built;
  }
}

/** The batch's ledger row: what was found, the highest account (for range growth), and who answered. */
export function chunkBatch(batch: Batch, result: ResultColumns, provenance: Provenance): ChunkBatch {
  // checked results are in increasing account order: the highest is the last
  const maxAccountId = result.rows > 0 ? result.numbers[result.rows - 1]! : null;
  return { platform: batch.platform, start: batch.start, end: batch.end, found: result.rows, maxAccountId, ...provenance };
}
