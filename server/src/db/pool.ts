/**
 * The DB helper pool: N Bun Workers, each writing one chunk at a time on its
 * own connection. The main thread only hands chunks over and hears back; it
 * never waits on PostgreSQL itself while a crawl is running.
 */
import type { FromHelper, IngestChunk, ToHelper } from "./messages";

export interface PoolEvents {
  committed(chunkId: number, info: { rows: number; batches: number; ms: number }): void;
  /** The helper cannot reach the database and keeps retrying `chunkId`. */
  retrying(chunkId: number, attempt: number, error: string): void;
  /** The chunk can never be written; its batches must be leased again. */
  rejected(chunkId: number, error: string): void;
}

interface Helper {
  worker: Worker;
  busyWith: number | undefined;
}

export class HelperPool {
  private readonly helpers: Helper[] = [];
  private readonly waiting: { chunkId: number; chunk: IngestChunk }[] = [];
  private readonly chunks = new Map<number, IngestChunk>();
  private nextChunkId = 1;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: { url: string; size: number; events: PoolEvents; onFatal?: (error: string) => void },
  ) {}

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.size }, () => this.spawn()));
  }

  /** Chunks queued or being written. */
  get pending(): number {
    return this.chunks.size;
  }

  submit(chunk: IngestChunk): number {
    const chunkId = this.nextChunkId++;
    this.chunks.set(chunkId, chunk);
    this.waiting.push({ chunkId, chunk });
    this.dispatch();
    return chunkId;
  }

  /** Resolves once every submitted chunk has been committed or rejected. */
  drain(): Promise<void> {
    if (this.chunks.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.helpers.map(
        (helper) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              helper.worker.terminate();
              resolve();
            }, 10_000);
            helper.worker.addEventListener("message", (event: MessageEvent<FromHelper>) => {
              if (event.data.type === "stopped") {
                clearTimeout(timer);
                helper.worker.terminate();
                resolve();
              }
            });
            helper.worker.postMessage({ type: "stop" } satisfies ToHelper);
          }),
      ),
    );
    this.helpers.length = 0;
  }

  private spawn(): Promise<void> {
    const worker = new Worker(new URL("./worker.ts", import.meta.url).href);
    const helper: Helper = { worker, busyWith: undefined };
    this.helpers.push(helper);
    return new Promise((resolve) => {
      worker.onmessage = (event: MessageEvent<FromHelper>) => {
        if (event.data.type === "ready") resolve();
        this.hear(helper, event.data);
      };
      worker.onerror = (event) => {
        // A crashed helper must not take its chunk with it: requeue and replace it.
        const lost = helper.busyWith;
        this.helpers.splice(this.helpers.indexOf(helper), 1);
        worker.terminate();
        if (lost !== undefined) this.waiting.unshift({ chunkId: lost, chunk: this.chunks.get(lost)! });
        this.options.onFatal?.(`DB helper crashed: ${event.message}; starting a new one`);
        void this.spawn().then(() => this.dispatch());
        resolve();
      };
      worker.postMessage({ type: "connect", url: this.options.url } satisfies ToHelper);
    });
  }

  private hear(helper: Helper, message: FromHelper): void {
    switch (message.type) {
      case "committed":
        this.finish(helper, message.chunkId);
        this.options.events.committed(message.chunkId, message);
        break;
      case "rejected":
        this.finish(helper, message.chunkId);
        this.options.events.rejected(message.chunkId, message.error);
        break;
      case "retrying":
        this.options.events.retrying(message.chunkId, message.attempt, message.error);
        break;
      default:
        break;
    }
    this.dispatch();
  }

  private finish(helper: Helper, chunkId: number): void {
    helper.busyWith = undefined;
    this.chunks.delete(chunkId);
    if (this.chunks.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private dispatch(): void {
    for (const helper of this.helpers) {
      if (helper.busyWith !== undefined) continue;
      const next = this.waiting.shift();
      if (!next) return;
      helper.busyWith = next.chunkId;
      helper.worker.postMessage({ type: "ingest", chunkId: next.chunkId, chunk: next.chunk } satisfies ToHelper);
    }
  }

}
