/**
 * The typed interface between the server's main thread and its DB helper
 * workers (Bun Workers, one PostgreSQL connection each). Nothing else in the
 * server talks to the write path.
 */
import type { CheckState } from "@wotc/schema/db/run-batches";
import { emptyColumns, type Platform, type PlayerColumns, type PlayerRow } from "@wotc/schema/player";
import { rowAt } from "@wotc/schema/player-code";
import type { DbErrorClass } from "./db-errors";
import type { PackedColumns } from "./column-transfer";

/** Player rows in columns, one array per field of schema/player.ts' PLAYER_FIELDS plus the platform. */
export type { PlayerColumns } from "@wotc/schema/player";

/** Who answered a batch and whether, and by whom, it was checked: written with it to `run_batches`. */
export interface Provenance {
  answeredBy: string | null;
  checkState: CheckState | null;
  checkedBy: string | null;
  answerHash: string | null;
}

/** A batch whose rows are in the chunk; written to `run_batches` in the same transaction. */
export interface ChunkBatch extends Partial<Provenance> {
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
  /** Some batches were set aside as failed before: their failed_batches rows go when they commit. */
  clearsFailed?: boolean;
}

/**
 * Batches whose rows replace what the database holds for their ranges today:
 * their first answerer was found lying, or two clients agreed on counters
 * lower than the stored ones. `judge` asks, per batch, whether the stored
 * rows could have been an honest earlier view (they belong to a committed
 * answer that a check disagreed with).
 */
export interface RepairChunk extends IngestChunk {
  repair: true;
  judge: boolean;
  /** Server clock (ms) of each batch's stored answer, for judging. */
  storedAt?: number[];
}

export type WriteJob = IngestChunk | RepairChunk;


/** A batch left out of the write because the trigger found counters moving back: its rows, for a second opinion. */
export interface SuspectBatch {
  index: number;
  rows: PlayerRow[];
  why: string;
}

export interface WriteOutcome {
  /** Player rows written. */
  rows: number;
  ms: number;
  /** Indexes into the job's batches that were not written, with their rows. */
  suspects: SuspectBatch[];
  /** Indexes of batches the database refuses (a value it cannot hold): set aside as failed. */
  rejected: { index: number; error: string }[];
  /** Repair with judge: per batch, why the stored rows were no honest view (undefined when they could have been). */
  judgements?: (string | undefined)[];
}

export type ToHelper =
  | { type: "connect"; url: string }
  /** The job with its players packed for the crossing (column-transfer.ts). */
  | { type: "write"; chunkId: number; job: PackedWriteJob }
  | { type: "stop" };

/** A job as the crawl builds it and the pool sends it: its players packed (column-transfer.ts). */
export type PackedWriteJob = Omit<IngestChunk, "players"> & Partial<Omit<RepairChunk, "players">> & { players: PackedColumns };

export type FromHelper =
  | { type: "ready" }
  | ({ type: "written"; chunkId: number } & WriteOutcome)
  /** The database is unreachable or a transaction collided; the helper keeps retrying the chunk. */
  | { type: "retrying"; chunkId: number; attempt: number; error: string }
  /** Retrying soon cannot help (disk full, read-only, a right, a CHECK): the helper retries slowly until the operator fixes it. */
  | { type: "blocked"; chunkId: number; attempt: number; error: string; problem: DbErrorClass }
  /** The helper is stopping and could not write the chunk: its batches are crawled again on resume. */
  | { type: "abandoned"; chunkId: number; error: string }
  | { type: "stopped" };

export { emptyColumns } from "@wotc/schema/player";

/** The chunk's rows of accounts in [start, end), as wire rows (the order of schema/player.ts). */
export function rowsIn(p: PlayerColumns, start: number, end: number): PlayerRow[] {
  const rows: PlayerRow[] = [];
  for (let i = 0; i < p.accountId.length; i++) {
    const id = p.accountId[i]!;
    if (id < start || id >= end) continue;
    rows.push(rowAt(p, i));
  }
  return rows;
}

/** The job with only the batches at `indexes` and their players. */
export function subJob<T extends WriteJob>(job: T, indexes: readonly number[]): T {
  const batches = indexes.map((i) => job.batches[i]!);
  const p = job.players;
  const players = emptyColumns();
  const keys = Object.keys(players) as (keyof PlayerColumns)[];
  for (let i = 0; i < p.accountId.length; i++) {
    const id = p.accountId[i]!;
    if (!batches.some((b) => id >= b.start && id < b.end)) continue;
    for (const key of keys) (players[key] as unknown[]).push(p[key][i]);
  }
  const storedAt = "storedAt" in job && job.storedAt ? { storedAt: indexes.map((i) => job.storedAt![i]!) } : {};
  return { ...job, batches, players, ...storedAt };
}
