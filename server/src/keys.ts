/**
 * Which WG key each client uses, and its share of that key's rate. WG limits
 * requests per key — or, for standalone keys, per public address
 * (`countedPer: "address"`) — so the clients that really share one limit
 * split its requests/s, and the split is recomputed whenever one joins or
 * leaves.
 *
 * The split is in whole requests: a key of 20 requests/s held by three
 * clients gives 7, 7 and 6 (in the order they joined), not 6.67 each. A
 * client that never sends more than its share in any window of a second then
 * keeps the sum under the key's limit in every window, however the clients'
 * requests line up, under a token bucket and under a strict sliding window
 * alike (client/src/rate-limiter.ts). Only when a key has fewer requests/s
 * than holders do the shares become fractions, and then no split can promise
 * that.
 *
 * No phase is handed out. Tried (each holder told i/n of the interval, counted
 * from the rate message all were sent at once): three clients at 7 + 7 + 7
 * still arrived as bunched as random phases would (20% of gaps under a quarter
 * of the even spacing; random: 16%), since each client's pace drifts within
 * seconds (late timers, margin, back-off), and clients on other machines reach
 * WG with delays that differ by more than an interval anyway. The per-window
 * split above does not need them.
 */
import type { WgKey } from "@wotc/schema/config";

export class KeyRing {
  /** Per key: session id → the address it connected from, in the order they joined. */
  private readonly holders: Map<string, string>[];

  constructor(readonly keys: readonly WgKey[]) {
    this.holders = keys.map(() => new Map());
  }

  /**
   * A key naming the client's token (or its address) wins; otherwise the
   * catch-all key with the fewest holders, so several catch-all keys spread
   * the load. The token, not the name a client sends: any token could claim
   * any self-chosen name.
   */
  choose(tokenName: string, address: string): number | undefined {
    const named = this.keys.findIndex((key) => key.clients.includes(tokenName) || key.clients.includes(address));
    if (named >= 0) return named;
    let best: number | undefined;
    this.keys.forEach((key, index) => {
      if (!key.clients.includes("*")) return;
      if (best === undefined || this.holders[index]!.size < this.holders[best]!.size) best = index;
    });
    return best;
  }

  join(keyIndex: number, sessionId: string, address = ""): void {
    this.holders[keyIndex]!.set(sessionId, address);
  }

  leave(keyIndex: number, sessionId: string): void {
    this.holders[keyIndex]!.delete(sessionId);
  }

  holdersOf(keyIndex: number): ReadonlySet<string> {
    return new Set(this.holders[keyIndex]!.keys());
  }

  /** Requests/s for `holder`, a session holding the key; null = no limit. */
  shareOf(keyIndex: number, holder: string): number | null {
    const group = this.groupOf(keyIndex, this.holders[keyIndex]!.get(holder) ?? "");
    return this.split(keyIndex, group.length, Math.max(0, group.indexOf(holder)));
  }

  /**
   * Requests/s for a client about to join from `address` (it would be the
   * last of its group), as register answers before the socket opens; with
   * `extra` 0, the smallest share of a current holder. null = no limit.
   */
  share(keyIndex: number, extra = 0, address = ""): number | null {
    const size = this.groupOf(keyIndex, address).length + extra;
    return this.split(keyIndex, Math.max(1, size), Math.max(0, size - 1));
  }

  /** The holders that count against the same limit as a client from `address`. */
  private groupOf(keyIndex: number, address: string): string[] {
    const perAddress = this.keys[keyIndex]!.countedPer === "address";
    const group: string[] = [];
    for (const [id, from] of this.holders[keyIndex]!) if (!perAddress || from === address) group.push(id);
    return group;
  }

  /** The share of the holder at `place` among `size`: whole requests while there are enough, fractions below. */
  private split(keyIndex: number, size: number, place: number): number | null {
    const rps = this.keys[keyIndex]!.rps;
    if (rps === null) return null;
    const whole = Math.floor(rps);
    if (whole < size) return rps / size;
    return Math.floor(whole / size) + (place < whole % size ? 1 : 0);
  }
}
