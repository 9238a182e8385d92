/**
 * The DB helper pool: N Bun Workers, each writing one job at a time on its
 * own connection. The main thread only hands jobs over and hears back; it
 * never waits on PostgreSQL itself while a crawl is running.
 */
import type { DbErrorClass } from "./db-errors";
import type { FromHelper, PackedWriteJob, ToHelper, WriteOutcome } from "./messages";
import { copyPacked, transferablesOf } from "./column-transfer";

export interface PoolEvents {
  /** The job is done: written, except the batches listed as suspects or rejected. */
  written(chunkId: number, outcome: WriteOutcome): void;
  /** The helper cannot reach the database and keeps retrying `chunkId`. */
  retrying(chunkId: number, attempt: number, error: string): void;
  /** Retrying soon cannot help; the helper retries slowly until the operator fixes `problem`. */
  blocked(chunkId: number, attempt: number, error: string, problem: DbErrorClass): void;
  /** The job was not written (the helper is stopping); its batches must be crawled again. */
  abandoned(chunkId: number, error: string): void;
}

interface Helper {
  worker: Worker;
  busyWith: number | undefined;
  /** Set when it said it stopped, or was replaced: its exit is expected. */
  retired: boolean;
}

export class HelperPool {
  private readonly helpers: Helper[] = [];
  private readonly waiting: { chunkId: number; job: PackedWriteJob }[] = [];
  private readonly jobs = new Map<number, PackedWriteJob>();
  private nextChunkId = 1;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;

  constructor(
    private readonly options: {
      url: string;
      size: number;
      events: PoolEvents;
      onFatal?: (error: string) => void;
      /** The helper's entry point (tests give one that misbehaves); default ./worker.ts. */
      workerUrl?: string;
    },
  ) {}

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.size }, () => this.spawn()));
  }

  /** Jobs queued or being written. */
  get pending(): number {
    return this.jobs.size;
  }

  submit(job: PackedWriteJob): number {
    const chunkId = this.nextChunkId++;
    this.jobs.set(chunkId, job);
    this.waiting.push({ chunkId, job });
    this.dispatch();
    return chunkId;
  }

  /** Resolves once every submitted job has been written or abandoned. */
  drain(): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.helpers.map(
        (helper) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              helper.retired = true;
              helper.worker.terminate();
              resolve();
            }, 10_000);
            helper.worker.addEventListener("message", (event: MessageEvent<FromHelper>) => {
              if (event.data.type === "stopped") {
                clearTimeout(timer);
                helper.retired = true;
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
    const worker = new Worker(this.options.workerUrl ?? new URL("./worker.ts", import.meta.url).href);
    const helper: Helper = { worker, busyWith: undefined, retired: false };
    this.helpers.push(helper);
    return new Promise((resolve) => {
      worker.onmessage = (event: MessageEvent<FromHelper>) => {
        if (event.data.type === "ready") resolve();
        this.hear(helper, event.data);
      };
      worker.onerror = (event) => {
        this.replace(helper, `DB helper crashed: ${event.message}`);
        resolve();
      };
      // A worker can also end without an error event (killed by the runtime, out of memory).
      worker.addEventListener("close", () => {
        if (!helper.retired && !this.stopping) this.replace(helper, "DB helper exited unexpectedly");
        resolve();
      });
      worker.postMessage({ type: "connect", url: this.options.url } satisfies ToHelper);
    });
  }

  /** A helper is gone: its job goes back to the head of the queue and a new helper takes its place. */
  private replace(helper: Helper, why: string): void {
    if (helper.retired) return;
    helper.retired = true;
    const at = this.helpers.indexOf(helper);
    if (at >= 0) this.helpers.splice(at, 1);
    helper.worker.terminate();
    const lost = helper.busyWith;
    helper.busyWith = undefined;
    if (lost !== undefined && this.jobs.has(lost)) this.waiting.unshift({ chunkId: lost, job: this.jobs.get(lost)! });
    this.options.onFatal?.(`${why}; its chunk is written again by a new helper`);
    if (!this.stopping) void this.spawn().then(() => this.dispatch());
  }

  private hear(helper: Helper, message: FromHelper): void {
    switch (message.type) {
      case "written": {
        this.finish(helper, message.chunkId);
        const { type: _type, chunkId, ...outcome } = message;
        this.options.events.written(chunkId, outcome);
        break;
      }
      case "abandoned":
        this.finish(helper, message.chunkId);
        this.options.events.abandoned(message.chunkId, message.error);
        break;
      case "retrying":
        this.options.events.retrying(message.chunkId, message.attempt, message.error);
        break;
      case "blocked":
        this.options.events.blocked(message.chunkId, message.attempt, message.error, message.problem);
        break;
      default:
        break;
    }
    this.dispatch();
  }

  private finish(helper: Helper, chunkId: number): void {
    helper.busyWith = undefined;
    this.jobs.delete(chunkId);
    if (this.jobs.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private dispatch(): void {
    for (const helper of this.helpers) {
      if (helper.busyWith !== undefined || helper.retired) continue;
      const next = this.waiting.shift();
      if (!next) return;
      helper.busyWith = next.chunkId;
      // A copy of its buffers is moved, since the job is kept until it is written (a helper may die)
      const players = copyPacked(next.job.players);
      helper.worker.postMessage({ type: "write", chunkId: next.chunkId, job: { ...next.job, players } } satisfies ToHelper, transferablesOf(players));
    }
  }
}
