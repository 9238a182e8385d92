/**
 * Which account IDs of the day's plan are already in `players`: 100 bits per
 * batch (a full-size plan is 268,000 batches, 4.3 MB). A result that leaves
 * out a known account is not taken on one client's word: accounts do not
 * vanish, but a client that drops them would erase those players' day.
 * Loaded once at the start of a run, and marked as batches commit.
 */
import { BATCH_SIZE } from "@wotc/schema/wire/messages";

const WORDS = Math.ceil(BATCH_SIZE / 32);

export class KnownAccounts {
  private readonly bits: Uint32Array;
  /** firstMissing's scratch bits: it runs for every answer, on the server's main thread. */
  private readonly seen = new Uint32Array(WORDS);

  constructor(readonly batches: number) {
    this.bits = new Uint32Array(batches * WORDS);
  }

  /** Account `offset` (0..99 from the batch's start) of batch `batchId` exists. */
  add(batchId: number, offset: number): void {
    this.bits[batchId * WORDS + (offset >>> 5)]! |= 1 << (offset & 31);
  }

  /** Every account of these rows is known from now on. */
  addAll(batchId: number, start: number, accountIds: ArrayLike<number>): void {
    // indexed, not for…of: the ids are a Float64Array view, and its iterator cost more than the bits
    for (let i = 0; i < accountIds.length; i++) this.add(batchId, accountIds[i]! - start);
  }

  count(batchId: number): number {
    let n = 0;
    for (let w = 0; w < WORDS; w++) n += popcount(this.bits[batchId * WORDS + w]!);
    return n;
  }

  /**
   * The first known account of the batch that `accountIds` (sorted or not)
   * leaves out, or undefined when none is missing.
   */
  firstMissing(batchId: number, start: number, accountIds: ArrayLike<number>): number | undefined {
    const base = batchId * WORDS;
    const seen = this.seen.fill(0);
    for (let i = 0; i < accountIds.length; i++) {
      const offset = accountIds[i]! - start;
      seen[offset >>> 5]! |= 1 << (offset & 31);
    }
    for (let w = 0; w < WORDS; w++) {
      const missing = (this.bits[base + w]! & ~seen[w]!) >>> 0;
      if (missing !== 0) return start + w * 32 + (31 - Math.clz32(missing & -missing));
    }
    return undefined;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
