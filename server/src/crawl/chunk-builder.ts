/**
 * Gathers accepted results into chunks of about `chunkRows` player rows, so the
 * database sees a few large statements instead of one per batch.
 */
import { consoleOf, type PlayerRow } from "@wotc/schema/player";
import type { Batch } from "@wotc/schema/wire/messages";
import { emptyColumns, type ChunkBatch, type IngestChunk, type PlayerColumns } from "../db/messages";

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
    const p = this.players;
    let maxAccountId: number | null = null;
    for (const row of rows) {
      p.accountId.push(row[0]);
      p.nickname.push(row[1]);
      p.console.push(consoleOf(row[1], batch.platform));
      p.createdAt.push(row[2]);
      p.lastBattleTime.push(row[3]);
      p.updatedAt.push(row[4]);
      p.battles.push(row[5]);
      p.spotted.push(row[6]);
      p.wins.push(row[7]);
      p.damageDealt.push(row[8]);
      p.frags.push(row[9]);
      p.droppedCapturePoints.push(row[10]);
      if (maxAccountId === null || row[0] > maxAccountId) maxAccountId = row[0];
    }
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
