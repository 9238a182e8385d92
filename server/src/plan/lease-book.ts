/**
 * The state of every batch of the day, and who holds which. A batch moves
 * through named states, changed only here:
 *
 *   queued → leased → writing → committed
 *              ↓         ↑
 *             held ──────┘          (an answer waits for another client's)
 *   any state but committed → failed   (set aside so the run can end)
 *   held / writing / committed / failed → queued   (asked afresh: answers
 *        thrown away, its answerer found lying, the database refused it)
 *
 * and back to queued from leased when its client disconnects, its lease
 * expires, or the client reports it failed. Besides the lease of a queued
 * batch (a fresh lease) a held or committed batch may be leased to a client
 * for a check; such a lease changes no state, and its loss only frees the
 * batch for another checker.
 */
import type { Batch } from "@wotc/schema/wire/messages";
import type { WorkPlan } from "./work-plan";

export type BatchState = "queued" | "leased" | "held" | "writing" | "committed" | "failed";
const STATES: readonly BatchState[] = ["queued", "leased", "held", "writing", "committed", "failed"];
const QUEUED = 0;
const LEASED = 1;
const HELD = 2;
const WRITING = 3;
const COMMITTED = 4;
const FAILED = 5;

export interface Lease {
  holder: string;
  /** When it was handed out (the answer cannot be older). */
  leasedAt: number;
  deadline: number;
  /** A check of a held or committed batch, not a fresh lease. */
  check: boolean;
}

export class LeaseBook {
  // One byte per batch: a full-size day is 268 KB, and stays that size all run.
  private readonly states: Uint8Array;
  private readonly leases = new Map<number, Lease>();
  private readonly byHolder = new Map<string, Set<number>>();
  /** Batches queued again, served before fresh ones so a returned batch is not left to the end. */
  private readonly returned: number[] = [];
  private returnedHead = 0;
  /** Batches a client failed: served after every other, so another client tries them first. */
  private readonly deferred: number[] = [];
  private cursor = 0;
  private readonly count = [0, 0, 0, 0, 0, 0];
  private checkLeases = 0;

  constructor(
    readonly plan: WorkPlan,
    committed: Iterable<number>,
    private readonly now: () => number = Date.now,
  ) {
    this.states = new Uint8Array(plan.total);
    this.count[QUEUED] = plan.total;
    for (const id of committed) {
      if (this.states[id] === QUEUED) this.move(id, COMMITTED);
    }
  }

  state(id: number): BatchState {
    return STATES[this.states[id]!]!;
  }

  get counts() {
    return {
      total: this.plan.total,
      queued: this.count[QUEUED]!,
      leased: this.count[LEASED]!,
      /** Leases for a check of a held or committed batch. */
      checking: this.checkLeases,
      held: this.count[HELD]!,
      writing: this.count[WRITING]!,
      committed: this.count[COMMITTED]!,
      failed: this.count[FAILED]!,
    };
  }

  /** Every batch is committed or set aside as failed. */
  get complete(): boolean {
    return this.count[COMMITTED]! + this.count[FAILED]! === this.plan.total;
  }

  heldBy(holder: string): number {
    return this.byHolder.get(holder)?.size ?? 0;
  }

  leaseOf(id: number): Lease | undefined {
    return this.leases.get(id);
  }

  /** Fresh leases of up to `count` queued batches to `holder`. */
  lease(holder: string, count: number, leaseMs: number): Batch[] {
    const batches: Batch[] = [];
    while (batches.length < count) {
      const id = this.nextQueued();
      if (id === undefined) break;
      this.move(id, LEASED);
      this.addLease(id, holder, leaseMs, false);
      batches.push(this.plan.batch(id));
    }
    return batches;
  }

  /** A check lease of a held or committed batch that nobody holds. */
  leaseCheck(holder: string, id: number, leaseMs: number): Batch | undefined {
    const state = this.states[id];
    if ((state !== HELD && state !== COMMITTED) || this.leases.has(id)) return undefined;
    this.addLease(id, holder, leaseMs, true);
    return this.plan.batch(id);
  }

  /** `holder` answered `id`: the answer waits for another client's (leased or held → held). */
  hold(holder: string, id: number): boolean {
    if (this.leases.get(id)?.holder !== holder) return false;
    this.dropLease(id);
    if (this.states[id] === LEASED) this.move(id, HELD);
    return true;
  }

  /** An answer of `id` is on its way to the database. Returns a lease it took away (a check still out), if any. */
  write(id: number): Lease | undefined {
    const lease = this.dropLease(id);
    const state = this.states[id]!;
    if (state === LEASED || state === HELD || state === COMMITTED || state === QUEUED) this.move(id, WRITING);
    return lease;
  }

  commit(id: number): void {
    if (this.states[id] === WRITING) this.move(id, COMMITTED);
  }

  /** A written batch comes back to wait for another answer (the database found its counters moving back). */
  park(id: number): void {
    if (this.states[id] === WRITING) this.move(id, HELD);
  }

  /** Set aside so the run can end; tried again by the next run. Returns a lease it took away, if any. */
  fail(id: number): Lease | undefined {
    const lease = this.dropLease(id);
    if (this.states[id] !== COMMITTED && this.states[id] !== FAILED) this.move(id, FAILED);
    return lease;
  }

  /** Ask for `id` afresh (any state but leased: a fresh lease is given back with giveBack). Returns a lease it took away. */
  requeue(id: number): Lease | undefined {
    const lease = this.dropLease(id);
    if (this.states[id] !== QUEUED) this.toQueue(id);
    return lease;
  }

  /**
   * `holder` gives its lease of `id` back unanswered (it failed, is leaving,
   * or the lease expired): a fresh batch is queued again, a check is free for
   * another checker. Returns the lease, or undefined when `holder` had none.
   */
  giveBack(holder: string, id: number, options: { last?: boolean } = {}): Lease | undefined {
    const lease = this.leases.get(id);
    if (lease?.holder !== holder) return undefined;
    this.dropLease(id);
    if (!lease.check && this.states[id] === LEASED) {
      if (options.last) {
        this.move(id, QUEUED);
        this.deferred.push(id);
      } else this.toQueue(id);
    }
    return lease;
  }

  /**
   * The holder is alive and working (it reported progress): its leases last
   * `leaseMs` from now, but never past `maxMs` after they were handed out, so
   * a client that keeps reporting but never answers still loses them.
   */
  renew(holder: string, leaseMs: number, maxMs: number): void {
    const held = this.byHolder.get(holder);
    if (!held) return;
    const now = this.now();
    for (const id of held) {
      const lease = this.leases.get(id)!;
      // A check holds another client's answer hostage: it is never renewed.
      if (lease.check) continue;
      lease.deadline = Math.max(lease.deadline, Math.min(now + leaseMs, lease.leasedAt + maxMs));
    }
  }

  /** All of `holder`'s leases return (it disconnected): the ids, with whether each was a check. */
  releaseHolder(holder: string): { id: number; check: boolean }[] {
    const held = this.byHolder.get(holder);
    if (!held) return [];
    const out: { id: number; check: boolean }[] = [];
    for (const id of [...held]) {
      const lease = this.giveBack(holder, id);
      if (lease) out.push({ id, check: lease.check });
    }
    return out;
  }

  /** Leases past their deadline return; returns them. */
  expire(): { id: number; holder: string; check: boolean }[] {
    const now = this.now();
    const expired: { id: number; holder: string; check: boolean }[] = [];
    for (const [id, lease] of this.leases) {
      if (lease.deadline <= now && this.giveBack(lease.holder, id)) expired.push({ id, holder: lease.holder, check: lease.check });
    }
    return expired;
  }

  private nextQueued(): number | undefined {
    while (this.returnedHead < this.returned.length) {
      const id = this.returned[this.returnedHead++]!;
      if (this.states[id] === QUEUED) return id;
    }
    if (this.returnedHead > 0) {
      this.returned.length = 0;
      this.returnedHead = 0;
    }
    while (this.cursor < this.plan.total) {
      const id = this.cursor++;
      if (this.states[id] === QUEUED) return id;
    }
    while (this.deferred.length > 0) {
      const id = this.deferred.shift()!;
      if (this.states[id] === QUEUED) return id;
    }
    return undefined;
  }

  private toQueue(id: number): void {
    this.move(id, QUEUED);
    // Only ids the cursor has passed need remembering; the cursor finds the others.
    if (id < this.cursor) this.returned.push(id);
  }

  private addLease(id: number, holder: string, leaseMs: number, check: boolean): void {
    const now = this.now();
    this.leases.set(id, { holder, leasedAt: now, deadline: now + leaseMs, check });
    if (check) this.checkLeases++;
    let held = this.byHolder.get(holder);
    if (!held) this.byHolder.set(holder, (held = new Set()));
    held.add(id);
  }

  private dropLease(id: number): Lease | undefined {
    const lease = this.leases.get(id);
    if (!lease) return undefined;
    this.leases.delete(id);
    if (lease.check) this.checkLeases--;
    const held = this.byHolder.get(lease.holder);
    held?.delete(id);
    if (held && held.size === 0) this.byHolder.delete(lease.holder);
    return lease;
  }

  private move(id: number, to: number): void {
    this.count[this.states[id]!]!--;
    this.states[id] = to;
    this.count[to]!++;
  }
}
