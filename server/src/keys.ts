/**
 * Which WG key each client uses, and its share of that key's rate. WG limits
 * requests per key, so clients holding the same key split its requests/s, and
 * the split is recomputed whenever one joins or leaves.
 *
 * A key is one of the operator's (`wg.keys`, key indexes 0..n-1) or one a
 * volunteer brought (`wg.volunteerKeys`), known here by its hash only: the
 * clients sending the same hash hold the same key. Such a key gets a key index
 * from n on while it has holders; indexes are never reused while the server
 * runs, because the verifier compares the key indexes of answers (a check on
 * another key is the more independent one).
 *
 * WG counts an operator's key per key, or per public address when the key
 * says `countedPer: "address"` (standalone keys); a volunteer's key as its
 * holders say. Only the holders that really share one limit split it.
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
import type { ServerConfig } from "@wotc/schema/config";
import type { OwnKey } from "@wotc/schema/wire/register";

/** A client asking for a key: its token (the key follows the token), its address, and the key it brought, if any. */
export interface KeyHolder {
  tokenName: string;
  address: string;
  ownKey?: OwnKey;
}

export type KeyOffer = { rps: number | null; applicationId?: string } | { refused: string };
export type KeyJoin = { keyIndex: number } | { refused: string };

interface Held {
  address: string;
  /** The claim of a volunteer's key, its rate already capped at wg.volunteerMaxRps. */
  own?: OwnKey;
}

export const OWN_KEY_REFUSED =
  'this tracker queries WG with its own keys only (wg.volunteerKeys is "never"): start the client without --application-id, --application-id-file or WOTC_APPLICATION_ID';
export const OWN_KEY_REQUIRED =
  'this tracker needs your own WG application id (wg.volunteerKeys is "required"): create one at https://developers.wargaming.net/applications/ and start the client with --application-id-file FILE (or WOTC_APPLICATION_ID)';

export class KeyRing {
  private readonly holders = new Map<number, Map<string, Held>>();
  /** Hash of a volunteer's key → its key index, while the key has holders. */
  private readonly ownIndexes = new Map<string, number>();
  private nextOwnIndex: number;

  constructor(private readonly wg: Pick<ServerConfig["wg"], "keys" | "volunteerKeys" | "volunteerMaxRps">) {
    this.nextOwnIndex = wg.keys.length;
  }

  get keys(): ServerConfig["wg"]["keys"] {
    return this.wg.keys;
  }

  /** What `holder` would get if it connected now (register's answer), or why it gets nothing. */
  offer(holder: KeyHolder): KeyOffer {
    const held = this.held(holder);
    if ("refused" in held) return held;
    // it would join last: its place is at the end of the holders it shares a limit with
    if (held.own) {
      const index = this.ownIndexes.get(held.own.hash);
      const others = index === undefined ? [] : [...this.holders.get(index)!.values()];
      return { rps: ownShare([...others, held], held) };
    }
    const index = this.operatorKey(holder)!;
    const key = this.wg.keys[index]!;
    const sharing = [...(this.holders.get(index)?.values() ?? []), held].filter((h) => key.countedPer !== "address" || h.address === held.address);
    return { rps: key.rps === null ? null : wholeShare(key.rps, sharing.length, sharing.length - 1), applicationId: key.applicationId };
  }

  /** Adds a connected client under its key: the key index, or why it gets no key. */
  join(sessionId: string, holder: KeyHolder): KeyJoin {
    const held = this.held(holder);
    if ("refused" in held) return held;
    let keyIndex: number;
    if (held.own) {
      keyIndex = this.ownIndexes.get(held.own.hash) ?? this.nextOwnIndex++;
      this.ownIndexes.set(held.own.hash, keyIndex);
    } else keyIndex = this.operatorKey(holder)!;
    let set = this.holders.get(keyIndex);
    if (!set) this.holders.set(keyIndex, (set = new Map()));
    set.set(sessionId, held);
    return { keyIndex };
  }

  leave(keyIndex: number, sessionId: string): void {
    const set = this.holders.get(keyIndex);
    if (!set?.delete(sessionId) || set.size > 0) return;
    this.holders.delete(keyIndex);
    // A volunteer's key with no holder left is forgotten: its hash is not kept for nothing
    for (const [hash, index] of this.ownIndexes) if (index === keyIndex) this.ownIndexes.delete(hash);
  }

  holdersOf(keyIndex: number): string[] {
    return [...(this.holders.get(keyIndex)?.keys() ?? [])];
  }

  isOwn(keyIndex: number): boolean {
    return keyIndex >= this.wg.keys.length;
  }

  /** Requests/s of one holder of the key; null = no limit. */
  share(keyIndex: number, sessionId: string): number | null {
    const set = this.holders.get(keyIndex);
    const held = set?.get(sessionId);
    if (!set || !held) return null;
    if (held.own) return ownShare([...set.values()], held);
    const key = this.wg.keys[keyIndex]!;
    if (key.rps === null) return null;
    const sharing = [...set.values()].filter((h) => key.countedPer !== "address" || h.address === held.address);
    return wholeShare(key.rps, sharing.length, sharing.indexOf(held));
  }

  /** The key's whole rate (what its holders share); null = no limit or no such key. */
  rateOf(keyIndex: number): number | null {
    if (!this.isOwn(keyIndex)) return this.wg.keys[keyIndex]?.rps ?? null;
    const held = [...(this.holders.get(keyIndex)?.values() ?? [])];
    return held.length === 0 ? null : Math.min(...held.map((h) => h.own!.rps));
  }

  /** The policy: a volunteer's key only when welcome, an operator's key only when one covers the client. */
  private held(holder: KeyHolder): Held | { refused: string } {
    const policy = this.wg.volunteerKeys;
    if (holder.ownKey) {
      if (policy === "never") return { refused: OWN_KEY_REFUSED };
      return { address: holder.address, own: { ...holder.ownKey, rps: Math.min(holder.ownKey.rps, this.wg.volunteerMaxRps) } };
    }
    if (policy === "required") return { refused: OWN_KEY_REQUIRED };
    if (this.operatorKey(holder) === undefined) return { refused: `no WG key is configured for token ${holder.tokenName} (${holder.address})` };
    return { address: holder.address };
  }

  /**
   * A key naming the client's token (or its address) wins; otherwise the
   * catch-all key with the fewest holders, so several catch-all keys spread
   * the load. The token, not the name a client sends: any token could claim
   * any self-chosen name.
   */
  private operatorKey({ tokenName, address }: KeyHolder): number | undefined {
    const keys = this.wg.keys;
    const named = keys.findIndex((key) => key.clients.includes(tokenName) || key.clients.includes(address));
    if (named >= 0) return named;
    let best: number | undefined;
    keys.forEach((key, index) => {
      if (!key.clients.includes("*")) return;
      if (best === undefined || this.holdersOf(index).length < this.holdersOf(best).length) best = index;
    });
    return best;
  }
}

/**
 * One holder's share of a volunteer's key. The key's rate is the lowest any
 * holder claims (they hold one key: the most careful claim is the safe one).
 * It is split among all holders, or, when every holder says WG counts the key
 * per address, among those at the same address as `target`. A client that
 * says "per key" makes it per key for all: counting too few would exceed it.
 */
function ownShare(holders: readonly Held[], target: Held): number {
  const claims = holders.map((h) => h.own!);
  const rps = Math.min(...claims.map((c) => c.rps));
  const perAddress = claims.every((c) => c.per === "address");
  const sharing = perAddress ? holders.filter((h) => h.address === target.address) : [...holders];
  return wholeShare(rps, sharing.length, Math.max(0, sharing.indexOf(target)));
}

/**
 * The share of the holder at `place` (join order) among `size` holders of
 * `rps`: whole requests adding up to floor(rps) while there are enough,
 * fractions below that.
 */
export function wholeShare(rps: number, size: number, place: number): number {
  const holders = Math.max(1, size);
  const whole = Math.floor(rps);
  if (whole < holders) return rps / holders;
  return Math.floor(whole / holders) + (place < whole % holders ? 1 : 0);
}
