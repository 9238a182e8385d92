/**
 * Integer hashing for the simulated world. Every random-looking property of a
 * player is a hash of (seed, id, salt, n), so any day can be computed directly
 * without replaying the days before it, and two processes agree bit for bit.
 */

/** murmur3's finalizer: a bijection on 32-bit integers with good avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The per-player key every other hash of that player is derived from. */
export function playerKey(seed: number, id: number): number {
  // ids reach ~2^30.1, so the high part matters only for ids above 2^32.
  const high = Math.floor(id / 0x1_0000_0000);
  return fmix32(fmix32((seed ^ 0x5bd1e995) >>> 0) ^ fmix32((id >>> 0) ^ Math.imul(high, 0x27d4eb2f)));
}

/** A 32-bit hash of a player key, a salt naming the property, and an index (day, block, leaf). */
export function derive(key: number, salt: number, n = 0): number {
  return fmix32(key ^ fmix32(Math.imul(salt, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca77)));
}

/** Map a 32-bit hash to [0, 1). */
export function unit(h: number): number {
  return h / 0x1_0000_0000;
}
