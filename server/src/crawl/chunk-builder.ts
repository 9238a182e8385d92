/**
 * Gathers accepted results into chunks of about `chunkRows` player rows, so the
 * database sees a few large statements instead of one per batch.
 */
import { emptyColumns, type PlayerColumns, type PlayerRow } from "@wotc/schema/player";
import { appendRows } from "@wotc/schema/player-code";
import type { Batch } from "@wotc/schema/wire/messages";
import type { ChunkBatch, IngestChunk } from "../db/messages";

export interface BuiltChunk {
  chunk: IngestChunk;
  batchIds: number[];
}

export class ChunkBuilder {
  private players: PlayerColumns = emptyColumns();
  private batches: ChunkBatch[] = [];
  private batchIds: number[] = [];

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
    return this.batchIds.length;
  }

  /** Adds a validated result; returns a chunk when one is full. */
  add(batch: Batch, rows: readonly PlayerRow[]): BuiltChunk | undefined {
    // the copy is generated from schema/player.ts' PLAYER_FIELDS (row position → column)
    const maxAccountId = appendRows(this.players, rows, batch.platform);
    this.batches.push({ platform: batch.platform, start: batch.start, end: batch.end, found: rows.length, maxAccountId });
    this.batchIds.push(batch.id);
    return this.rows >= this.chunkRows || this.size >= this.chunkBatches ? this.take() : undefined;
  }

  /** Whatever has gathered, as a chunk (the flush timer and the end of a run call this). */
  take(): BuiltChunk | undefined {
    if (this.batchIds.length === 0) return undefined;
    const built = { chunk: { runDate: this.runDate, batches: this.batches, players: this.players }, batchIds: this.batchIds };
    this.players = emptyColumns();
    this.batches = [];
    this.batchIds = [];
    return built;
  }
}
