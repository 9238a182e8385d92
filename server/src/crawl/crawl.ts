/**
 * One day's crawl: leases batches to clients, checks their results, gathers
 * them into chunks for the DB helpers and marks batches committed when the
 * helpers say so. Its state changes only through `setState`:
 *   crawling → complete
 */
import type { ClientMessage } from "@wotc/schema/wire/messages";
import type { ServerConfig } from "@wotc/schema/config";
import type { PlayerRow } from "@wotc/schema/player";
import type { PoolEvents } from "../db/pool";
import type { IngestChunk } from "../db/messages";
import type { LeaseBook } from "../plan/lease-book";
import { RateMeter } from "../rate-meter";
import type { ClientHub, WorkHandler } from "../ws/hub";
import type { ClientSession } from "../ws/client-session";
import { ChunkBuilder } from "./chunk-builder";

export type CrawlState = "crawling" | "complete";

/** What the crawl needs from the DB helper pool. */
export interface ChunkSink {
  readonly pending: number;
  submit(chunk: IngestChunk): number;
}

export interface CrawlCounters {
  refusedResults: number;
  failedBatches: number; // batches clients handed back as failed
  releasedBatches: number;
  expiredLeases: number;
  dbRetries: number;
  dbRejectedChunks: number;
  rowsWritten: number;
}

/** Held by the tracker's controls (pause, drain): while it gives a reason, nothing new is leased. */
export interface LeasingGate {
  whyHeld(): string | undefined;
}

export class Crawl implements WorkHandler {
  state: CrawlState = "crawling";
  readonly startedAt = Date.now();
  readonly counters: CrawlCounters = {
    refusedResults: 0,
    failedBatches: 0,
    releasedBatches: 0,
    expiredLeases: 0,
    dbRetries: 0,
    dbRejectedChunks: 0,
    rowsWritten: 0,
  };
  readonly idsPerSecond = new RateMeter(10);
  /** Set while a DB helper cannot write: leasing pauses until a chunk commits again. */
  dbTrouble: string | undefined;
  private readonly builder: ChunkBuilder;
  private readonly chunks = new Map<number, number[]>(); // chunk id → batch ids
  private sink: ChunkSink | undefined;
  private readonly completion = Promise.withResolvers<void>();

  constructor(
    readonly date: string,
    readonly book: LeaseBook,
    private readonly hub: ClientHub,
    private readonly config: ServerConfig,
    private readonly log: (line: string) => void,
    private readonly gate?: LeasingGate,
  ) {
    this.builder = new ChunkBuilder(date, config.server.chunkRows);
    if (book.complete) this.setState("complete");
  }

  /** Resolves when every batch of the day is committed. */
  get done(): Promise<void> {
    return this.completion.promise;
  }

  connect(sink: ChunkSink): void {
    this.sink = sink;
  }

  /** The events the DB helper pool reports to. */
  readonly poolEvents: PoolEvents = {
    committed: (chunkId, info) => {
      const ids = this.chunks.get(chunkId) ?? [];
      this.chunks.delete(chunkId);
      let committedIds = 0;
      for (const id of ids) {
        this.book.commit(id);
        const batch = this.book.plan.batch(id);
        committedIds += batch.end - batch.start;
      }
      this.idsPerSecond.record(committedIds);
      this.counters.rowsWritten += info.rows;
      if (this.dbTrouble) {
        this.log(`database writes are back; leasing resumes`);
        this.dbTrouble = undefined;
      }
      if (this.book.complete) this.setState("complete");
      else this.fillAll();
    },
    retrying: (_chunkId, attempt, error) => {
      this.counters.dbRetries++;
      if (!this.dbTrouble) this.log(`database write failed (${error}); retrying, leasing paused`);
      this.dbTrouble = error;
      if (attempt % 20 === 0) this.log(`database still failing after ${attempt} attempts: ${error}`);
    },
    rejected: (chunkId, error) => {
      const ids = this.chunks.get(chunkId) ?? [];
      this.chunks.delete(chunkId);
      this.counters.dbRejectedChunks++;
      this.log(`database refused a chunk of ${ids.length} batches (${error}); they will be crawled again`);
      for (const id of ids) this.book.rewrite(id);
      this.fillAll();
    },
  };

  fill(session: ClientSession): void {
    if (session.state !== "working") return;
    const blocked = this.whyNotLeasing();
    if (blocked) {
      if (this.book.heldBy(session.id) === 0) this.hub.tellWaiting(session, blocked);
      return;
    }
    const wanted = session.inFlight - this.book.heldBy(session.id);
    if (wanted <= 0) return;
    const batches = this.book.lease(session.id, wanted, this.config.server.leaseSeconds * 1000);
    if (batches.length > 0) {
      session.waitingFor = undefined;
      session.send({ type: "work", batches });
    } else if (this.book.heldBy(session.id) === 0) {
      this.hub.tellWaiting(session, "every remaining batch is leased to other clients or being written");
    }
  }

  fillAll(): void {
    for (const session of this.hub.all()) this.fill(session);
  }

  forget(session: ClientSession): void {
    const released = this.book.releaseHolder(session.id);
    if (released > 0) {
      this.counters.releasedBatches += released;
      this.fillAll();
    }
  }

  receive(session: ClientSession, message: ClientMessage): string | undefined {
    switch (message.type) {
      case "result":
        return this.accept(session, message.id, message.rows as PlayerRow[]);
      case "failed":
        if (!this.book.giveBack(session.id, message.id)) {
          this.counters.refusedResults++;
          return `batch ${message.id} is not leased to you`;
        }
        this.counters.failedBatches++;
        this.log(`client ${session.name} could not crawl batch ${message.id}: ${message.reason}`);
        this.fillAll();
        return undefined;
      case "release": {
        let released = 0;
        for (const id of message.ids) if (this.book.giveBack(session.id, id)) released++;
        this.counters.releasedBatches += released;
        session.setState("draining");
        this.fillAll();
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** Periodic work: expire leases, hand gathered rows to idle helpers, lease to anyone starved. */
  tick(): void {
    const expired = this.book.expire();
    if (expired > 0) {
      this.counters.expiredLeases += expired;
      this.log(`${expired} leases expired after ${this.config.server.leaseSeconds}s without an answer; leasing them again`);
    }
    // Small chunks only when a helper would otherwise sit idle; under load they fill up.
    if (this.sink && this.sink.pending < this.config.server.dbHelpers) this.flush();
    this.fillAll();
  }

  status() {
    const counts = this.book.counts;
    const idsPerSecond = this.idsPerSecond.perSecond();
    const remainingIds = (this.book.plan.ids * (counts.total - counts.committed)) / Math.max(1, counts.total);
    return {
      date: this.date,
      state: this.state,
      batches: { total: counts.total, done: counts.committed, leased: counts.leased, writing: counts.writing, queued: counts.queued },
      idsPerSecond: Math.round(idsPerSecond),
      etaSeconds: idsPerSecond > 0 ? Math.round(remainingIds / idsPerSecond) : null,
      elapsedSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      dbPendingChunks: this.sink?.pending ?? 0,
      dbTrouble: this.dbTrouble ?? null,
      counters: this.counters,
    };
  }

  private accept(session: ClientSession, id: number, rows: PlayerRow[]): string | undefined {
    const holder = this.book.holderOf(id);
    if (holder !== session.id) {
      this.counters.refusedResults++;
      return holder === undefined && this.book.state(id) !== "queued"
        ? `batch ${id} was already answered`
        : `batch ${id} is not leased to you`;
    }
    const batch = this.book.plan.batch(id);
    const seen = new Set<number>();
    for (const row of rows) {
      const accountId = row[0];
      if (accountId < batch.start || accountId >= batch.end) {
        this.counters.refusedResults++;
        return `batch ${id} result has account ${accountId} outside [${batch.start}, ${batch.end})`;
      }
      if (seen.has(accountId)) {
        this.counters.refusedResults++;
        return `batch ${id} result has account ${accountId} twice`;
      }
      const unstorable = unstorableField(row);
      if (unstorable) {
        this.counters.refusedResults++;
        return `batch ${id} result, account ${accountId}: ${unstorable}`;
      }
      seen.add(accountId);
    }
    this.book.startWriting(session.id, id);
    session.batchesAccepted++;
    session.idsAccepted += batch.end - batch.start;
    const full = this.builder.add(batch, rows);
    if (full) this.submit(full.chunk, full.batchIds);
    this.fill(session);
    return undefined;
  }

  /** Hands whatever has gathered to the helpers at once (the server is stopping). */
  flushAll(): void {
    this.flush();
  }

  private flush(): void {
    const built = this.builder.take();
    if (built) this.submit(built.chunk, built.batchIds);
  }

  private submit(chunk: IngestChunk, batchIds: number[]): void {
    const chunkId = this.sink!.submit(chunk);
    this.chunks.set(chunkId, batchIds);
  }

  private whyNotLeasing(): string | undefined {
    if (this.state !== "crawling") return "the run is complete";
    const held = this.gate?.whyHeld();
    if (held) return held;
    if (this.dbTrouble) return `the database is unavailable (${this.dbTrouble}); waiting for it`;
    if (this.book.counts.writing >= this.config.server.maxQueuedBatches) return "the database is behind; waiting for it to catch up";
    return undefined;
  }

  private setState(next: CrawlState): void {
    if (this.state === next && next !== "complete") return;
    this.state = next;
    if (next === "complete") this.completion.resolve();
  }
}

/** PlayerRow positions stored in int4 columns (battles, spotted, wins, frags, dropped_capture_points). */
const INT4_FIELDS: readonly [number, string][] = [[5, "battles"], [6, "spotted"], [7, "wins"], [9, "frags"], [10, "dropped_capture_points"]];
const INT4_MAX = 2 ** 31 - 1;

/**
 * What PostgreSQL would refuse in this row. Refused here, the row costs its
 * sender a strike; written, it would fail the whole chunk and every other
 * client's batches in it would have to be crawled again.
 */
function unstorableField(row: PlayerRow): string | undefined {
  for (const [index, name] of INT4_FIELDS) {
    if (row[index] as number > INT4_MAX) return `${name} ${row[index]} is over ${INT4_MAX}`;
  }
  if (row[1].includes("\u0000")) return "nickname contains a NUL character";
  return undefined;
}
