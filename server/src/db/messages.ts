/**
 * The typed interface between the server's main thread and its DB helper
 * workers (Bun Workers, one PostgreSQL connection each). Nothing else in the
 * server talks to the write path.
 */
import type { Platform, PlayerColumns } from "@wotc/schema/player";

/** Player rows in columns, one array per field of schema/player.ts' PLAYER_FIELDS plus the platform. */
export type { PlayerColumns } from "@wotc/schema/player";

/** A batch whose rows are in the chunk; written to `run_batches` in the same transaction. */
export interface ChunkBatch {
  platform: Platform;
  start: number;
  end: number;
  found: number; // players the client found in [start, end)
  maxAccountId: number | null; // highest account id found, for range growth
}

export interface IngestChunk {
  runDate: string; // YYYY-MM-DD, UTC; the date written to total/diff rows
  batches: ChunkBatch[];
  players: PlayerColumns;
}

export type ToHelper =
  | { type: "connect"; url: string }
  | { type: "ingest"; chunkId: number; chunk: IngestChunk }
  | { type: "stop" };

export type FromHelper =
  | { type: "ready" }
  | { type: "committed"; chunkId: number; rows: number; batches: number; ms: number }
  /** The database is unreachable or the transaction failed for a passing reason; the helper keeps retrying the chunk. */
  | { type: "retrying"; chunkId: number; attempt: number; error: string }
  /** The chunk can never be written (a bug or bad data); its batches go back to the queue. */
  | { type: "rejected"; chunkId: number; error: string }
  | { type: "stopped" };

export { emptyColumns } from "@wotc/schema/player";
