/**
 * Who answered each committed batch of the day and how it was checked, kept
 * in memory (two bytes and one byte a batch) so that a client found lying can
 * have everything it answered crawled again, and so that batches committed
 * unchecked (no other client was there) can be checked once another client
 * is. The same facts are in run_batches (written with each batch), from which
 * a resumed run reloads them.
 */
import { CHECK_STATES, type CheckState } from "@wotc/schema/db/run-batches";

export interface StoredAnswer {
  token: string;
  hash: string;
  /** Server clock (ms) when it was committed: a check compares against an answer at least this old. */
  at: number;
}

export class Provenance {
  private readonly tokenOf: Uint16Array;
  private readonly stateOf: Uint8Array;
  private readonly tokens: string[] = [""];
  private readonly tokenIndex = new Map<string, number>();
  /** Unchecked batches by the token that answered them, waiting for a client of another token. */
  private readonly unchecked = new Map<string, Map<number, StoredAnswer>>();

  constructor(batches: number) {
    this.tokenOf = new Uint16Array(batches);
    this.stateOf = new Uint8Array(batches);
  }

  record(batchId: number, token: string | null, state: CheckState | null, hash?: string | null, at = Date.now()): void {
    const previous = this.tokenOfBatch(batchId);
    if (previous) this.unchecked.get(previous)?.delete(batchId);
    this.tokenOf[batchId] = token ? this.indexOf(token) : 0;
    this.stateOf[batchId] = state ? CHECK_STATES.indexOf(state) + 1 : 0;
    if (state === "unchecked" && token && hash) {
      let queue = this.unchecked.get(token);
      if (!queue) this.unchecked.set(token, (queue = new Map()));
      queue.set(batchId, { token, hash, at });
    }
  }

  tokenOfBatch(batchId: number): string | undefined {
    return this.tokens[this.tokenOf[batchId]!] || undefined;
  }

  stateOfBatch(batchId: number): CheckState | undefined {
    const s = this.stateOf[batchId]!;
    return s === 0 ? undefined : CHECK_STATES[s - 1];
  }

  /** Batches committed today from this token's answers that no other token confirmed. */
  unconfirmedOf(token: string): number[] {
    const index = this.tokenIndex.get(token);
    if (index === undefined) return [];
    const agreed = CHECK_STATES.indexOf("agreed") + 1;
    const ids: number[] = [];
    for (let id = 0; id < this.tokenOf.length; id++) {
      if (this.tokenOf[id] === index && this.stateOf[id] !== agreed) ids.push(id);
    }
    return ids;
  }

  /** Up to `limit` unchecked batches a client of `token` may check (answered by other tokens). */
  uncheckedFor(token: string, limit: number, skip: (batchId: number) => boolean): { batchId: number; stored: StoredAnswer }[] {
    const out: { batchId: number; stored: StoredAnswer }[] = [];
    for (const [owner, queue] of this.unchecked) {
      if (owner === token) continue;
      for (const [batchId, stored] of queue) {
        if (out.length >= limit) return out;
        if (!skip(batchId)) out.push({ batchId, stored });
      }
    }
    return out;
  }

  /** The batch is checked (or repaired): it leaves the unchecked queue. */
  checked(batchId: number): void {
    const token = this.tokenOfBatch(batchId);
    if (token) this.unchecked.get(token)?.delete(batchId);
  }

  /** Counts of the day's committed batches by check state. */
  counts(): Record<CheckState | "unknown", number> {
    const counts = Object.fromEntries([...CHECK_STATES, "unknown"].map((s) => [s, 0])) as Record<CheckState | "unknown", number>;
    for (let id = 0; id < this.stateOf.length; id++) {
      const s = this.stateOf[id]!;
      if (this.tokenOf[id] === 0 && s === 0) continue;
      counts[s === 0 ? "unknown" : CHECK_STATES[s - 1]!]++;
    }
    return counts;
  }

  private indexOf(token: string): number {
    let index = this.tokenIndex.get(token);
    if (index === undefined) {
      index = this.tokens.length;
      if (index > 0xffff) throw new Error("more than 65,535 tokens answered one run");
      this.tokens.push(token);
      this.tokenIndex.set(token, index);
    }
    return index;
  }
}
