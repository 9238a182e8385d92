/**
 * Gathers accepted results into chunks of about `chunkRows` player rows, so the
 * database sees a few large statements instead of one per batch.
 */
import type { PlayerRow } from "@wotc/schema/player";
import { appendRows as appendPlayerRows } from "@wotc/schema/player-code";
import type { Batch } from "@wotc/schema/wire/messages";
import { emptyColumns, type ChunkBatch, type IngestChunk, type PlayerColumns, type Provenance } from "../db/messages";

export interface BuiltChunk<Meta> {
  chunk: IngestChunk;
  /** Per batch of the chunk, in its order: the batch id and what the caller attached to it. */
  entries: { batchId: number; meta: Meta }[];
}

export class ChunkBuilder<Meta> {
  private players: PlayerColumns = emptyColumns();
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
    return this.players.accountId.length;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Adds a checked result; returns a chunk when one is full. */
  add(batch: Batch, rows: readonly PlayerRow[], provenance: Provenance, meta: Meta, clearsFailed = false): BuiltChunk<Meta> | undefined {
    appendRows(this.players, batch, rows);
    this.batches.push(chunkBatch(batch, rows, provenance));
    this.entries.push({ batchId: batch.id, meta });
    this.clearsFailed ||= clearsFailed;
    return this.rows >= this.chunkRows || this.size >= this.chunkBatches ? this.take() : undefined;
  }

  /** Whatever has gathered, as a chunk (the flush timer and the end of a run call this). */
  take(): BuiltChunk<Meta> | undefined {
    if (this.entries.length === 0) return undefined;
    const built = {
      chunk: { runDate: this.runDate, batches: this.batches, players: this.players, ...(this.clearsFailed ? { clearsFailed: true } : {}) },
      entries: this.entries,
    };
    this.players = emptyColumns();
    this.batches = [];
    this.entries = [];
    this.clearsFailed = false;
    return built;
  }
}

/** The batch's ledger row: what was found, the highest account (for range growth), and who answered. */
export function chunkBatch(batch: Batch, rows: readonly PlayerRow[], provenance: Provenance): ChunkBatch {
  let maxAccountId: number | null = null;
  for (const row of rows) if (maxAccountId === null || row[0] > maxAccountId) maxAccountId = row[0];
  return { platform: batch.platform, start: batch.start, end: batch.end, found: rows.length, maxAccountId, ...provenance };
}

/** The row → column copy, generated from schema/player.ts' PLAYER_FIELDS (platform from each nickname). */
export function appendRows(p: PlayerColumns, batch: Batch, rows: readonly PlayerRow[]): void {
  appendPlayerRows(p, rows, batch.platform);
}
