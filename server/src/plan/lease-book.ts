/**
 * Who holds which batch. Every batch moves through named states, changed only
 * here:   queued → leased → writing → committed
 * and back to queued when its client disconnects, its lease expires, the
 * client reports it failed, or the database refuses its chunk.
 */
import type { Batch } from "@wotc/schema/wire/messages";
import type { WorkPlan } from "./work-plan";

export type BatchState = "queued" | "leased" | "writing" | "committed";
const STATES: readonly BatchState[] = ["queued", "leased", "writing", "committed"];
const QUEUED = 0;
const LEASED = 1;
const WRITING = 2;
const COMMITTED = 3;

interface Lease {
  holder: string;
  deadline: number;
}

export class LeaseBook {
  // One byte per batch: a full-size day is 268 KB, and stays that size all run.
  private readonly states: Uint8Array;
  private readonly leases = new Map<number, Lease>();
  private readonly byHolder = new Map<string, Set<number>>();
  /** Batches handed back, served before fresh ones so a returned batch is not left to the end. */
  private readonly returned: number[] = [];
  private returnedHead = 0;
  private cursor = 0;
  private readonly count = [0, 0, 0, 0];

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
      writing: this.count[WRITING]!,
      committed: this.count[COMMITTED]!,
    };
  }

  get complete(): boolean {
    return this.count[COMMITTED] === this.plan.total;
  }

  heldBy(holder: string): number {
    return this.byHolder.get(holder)?.size ?? 0;
  }

  holderOf(id: number): string | undefined {
    return this.leases.get(id)?.holder;
  }

  /** Leases up to `count` queued batches to `holder`. */
  lease(holder: string, count: number, leaseMs: number): Batch[] {
    const batches: Batch[] = [];
    while (batches.length < count) {
      const id = this.nextQueued();
      if (id === undefined) break;
      this.move(id, LEASED);
      this.leases.set(id, { holder, deadline: this.now() + leaseMs });
      this.holderSet(holder).add(id);
      batches.push(this.plan.batch(id));
    }
    return batches;
  }

  /** A result for `id` arrived from `holder`: its rows are on their way to the database. */
  startWriting(holder: string, id: number): boolean {
    if (this.leases.get(id)?.holder !== holder) return false;
    this.dropLease(id);
    this.move(id, WRITING);
    return true;
  }

  commit(id: number): void {
    if (this.states[id] === WRITING) this.move(id, COMMITTED);
  }

  /** The database refused the chunk holding `id`: lease it again. */
  rewrite(id: number): void {
    if (this.states[id] === WRITING) this.requeue(id);
  }

  /** `holder` gives `id` back unworked (it failed, or the client is leaving). */
  giveBack(holder: string, id: number): boolean {
    if (this.leases.get(id)?.holder !== holder) return false;
    this.dropLease(id);
    this.requeue(id);
    return true;
  }

  /** All of `holder`'s leases return to the queue (it disconnected). */
  releaseHolder(holder: string): number {
    const held = this.byHolder.get(holder);
    if (!held) return 0;
    const ids = [...held];
    for (const id of ids) this.giveBack(holder, id);
    return ids.length;
  }

  /** Leases past their deadline return to the queue; returns how many. */
  expire(): number {
    const now = this.now();
    let expired = 0;
    for (const [id, lease] of this.leases) {
      if (lease.deadline <= now && this.giveBack(lease.holder, id)) expired++;
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
    return undefined;
  }

  private requeue(id: number): void {
    this.move(id, QUEUED);
    // Only ids the cursor has passed need remembering; the cursor finds the others.
    if (id < this.cursor) this.returned.push(id);
  }

  private dropLease(id: number): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    this.leases.delete(id);
    const held = this.byHolder.get(lease.holder);
    held?.delete(id);
    if (held && held.size === 0) this.byHolder.delete(lease.holder);
  }

  private holderSet(holder: string): Set<number> {
    let held = this.byHolder.get(holder);
    if (!held) this.byHolder.set(holder, (held = new Set()));
    return held;
  }

  private move(id: number, to: number): void {
    this.count[this.states[id]!]!--;
    this.states[id] = to;
    this.count[to]!++;
  }
}
