/**
 * Which WG key each client uses, and its share of that key's rate. WG limits
 * requests per key, so clients holding the same key split its requests/s, and
 * the split is recomputed whenever one joins or leaves.
 */
import type { WgKey } from "@wotc/schema/config";

export class KeyRing {
  private readonly holders: Set<string>[];

  constructor(readonly keys: readonly WgKey[]) {
    this.holders = keys.map(() => new Set());
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

  join(keyIndex: number, sessionId: string): void {
    this.holders[keyIndex]!.add(sessionId);
  }

  leave(keyIndex: number, sessionId: string): void {
    this.holders[keyIndex]!.delete(sessionId);
  }

  holdersOf(keyIndex: number): ReadonlySet<string> {
    return this.holders[keyIndex]!;
  }

  /** Requests/s for one holder of the key (as if `extra` more clients held it); null = no limit. */
  share(keyIndex: number, extra = 0): number | null {
    const rps = this.keys[keyIndex]!.rps;
    if (rps === null) return null;
    return rps / Math.max(1, this.holders[keyIndex]!.size + extra);
  }
}
