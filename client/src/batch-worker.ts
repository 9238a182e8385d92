/**
 * Works the batches one session holds: each batch becomes one WG request (the
 * rate limiter decides when it starts, so requests overlap), and its outcome
 * goes back as `result` or `failed`. When the session ends the worker is
 * aborted and whatever it still holds is dropped: the server re-leases those
 * batches, and a result for them on a later socket would be refused.
 */
import { BATCH_SIZE, type Batch, type ClientMessage } from "@wotc/schema/wire/messages";
import { expandRange } from "./encode";
import type { Logger } from "./log";
import { RepeatFilter } from "./log";
import type { ClientCounters } from "./stats";
import type { WgCaller } from "./wg";

export interface BatchWorkerDeps {
  caller: Pick<WgCaller, "fetchAccounts">;
  send: (message: ClientMessage) => void;
  counters: ClientCounters;
  log: Logger;
  /**
   * The client's own key was refused by WG: the batch is kept (the session
   * hands it back), not reported failed, since it would fail on no other
   * client. Without this (the operator's key) the batch fails as any other.
   */
  onKeyRefused?: (error: string) => void;
}

export class BatchWorker {
  private readonly held = new Map<number, Batch>();
  private readonly controller = new AbortController();
  private readonly warnings: RepeatFilter;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: BatchWorkerDeps) {
    this.warnings = new RepeatFilter(deps.log.warn);
  }

  get size(): number {
    return this.held.size;
  }

  heldIds(): number[] {
    return [...this.held.keys()];
  }

  add(batches: readonly Batch[]): void {
    if (this.controller.signal.aborted) return;
    for (const batch of batches) {
      if (this.held.has(batch.id)) {
        this.warnings.report("duplicate", `the server sent batch ${batch.id} again while it was being worked; ignored`);
        continue;
      }
      this.held.set(batch.id, batch);
      void this.work(batch);
    }
  }

  /** Stops every batch; nothing more is sent for them. */
  abort(): void {
    this.controller.abort(new Error("the session ended"));
    this.held.clear();
    this.notifyIdle();
  }

  /** Resolves once no batch is held (used by tests and by a graceful drain). */
  idle(): Promise<void> {
    if (this.held.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async work(batch: Batch): Promise<void> {
    const { signal } = this.controller;
    const { counters } = this.deps;
    let keep = false;
    try {
      const problem = rangeProblem(batch);
      if (problem) return this.fail(batch, problem);
      const outcome = await this.deps.caller.fetchAccounts(expandRange(batch.start, batch.end), signal);
      if (signal.aborted) return;
      if (outcome.kind === "key-refused" && this.deps.onKeyRefused) {
        keep = true;
        return this.deps.onKeyRefused(outcome.error);
      }
      if (outcome.kind !== "ok") return this.fail(batch, outcome.reason);
      if (outcome.strays.length > 0) {
        counters.strayRows += outcome.strays.length;
        this.warnings.report(
          "strays",
          `WG answered batch ${batch.id} [${batch.start}, ${batch.end}) with ${outcome.strays.length} account(s) outside it ` +
            `(${outcome.strays.slice(0, 3).join(", ")}${outcome.strays.length > 3 ? ", …" : ""}); dropped them`,
        );
      }
      const { rows } = outcome;
      counters.players += rows.length;
      counters.batchesDone++;
      this.deps.send({ type: "result", id: batch.id, rows });
    } catch (error) {
      if (signal.aborted) return;
      // A bug of ours, not WG's: still hand the batch back rather than lose it
      const reason = `client error: ${error instanceof Error ? error.message : String(error)}`;
      this.deps.log.error(`batch ${batch.id}: ${reason}`);
      this.fail(batch, reason);
    } finally {
      if (!keep) this.held.delete(batch.id);
      if (this.held.size === 0) this.notifyIdle();
    }
  }

  private fail(batch: Batch, reason: string): void {
    this.deps.counters.batchesFailed++;
    this.warnings.report(`failed:${reason}`, `batch ${batch.id} [${batch.start}, ${batch.end}) failed: ${reason}`);
    this.deps.send({ type: "failed", id: batch.id, reason });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function rangeProblem(batch: Batch): string | null {
  const size = batch.end - batch.start;
  if (size <= 0) return `empty range [${batch.start}, ${batch.end})`;
  if (size > BATCH_SIZE) return `range [${batch.start}, ${batch.end}) holds ${size} IDs; WG takes at most ${BATCH_SIZE} a request`;
  return null;
}
