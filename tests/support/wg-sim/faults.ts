/**
 * Injected failures (wg-api.md §8.6). Each request draws one number from a
 * seeded sequence and falls into at most one fault kind, so a run with the same
 * fault seed and the same request order fails the same requests.
 */
import { fmix32, unit } from "./hash.ts";

export const FAULT_KINDS = ["sourceNotAvailable", "html502", "http500", "truncated", "slow"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Probability (0–1) of each fault per request; `slowMs` is how long a slow answer is held back. */
export type Faults = Partial<Record<FaultKind, number>> & { slowMs?: number };

export const DEFAULT_SLOW_MS = 3_000;

/** Spread an overall fault probability evenly over every kind (the CLI's `--faults`). */
export function spreadFaults(total: number): Faults {
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, total / FAULT_KINDS.length]));
}

export class FaultPlan {
  private drawn = 0;
  private readonly thresholds: { kind: FaultKind; upTo: number }[] = [];
  readonly slowMs: number;

  constructor(faults: Faults, private readonly seed: number) {
    let upTo = 0;
    for (const kind of FAULT_KINDS) {
      const p = faults[kind] ?? 0;
      if (!(p >= 0 && p <= 1)) throw new RangeError(`faults.${kind} = ${p}: expected a probability between 0 and 1`);
      upTo += p;
      if (p > 0) this.thresholds.push({ kind, upTo });
    }
    if (upTo > 1 + 1e-9) throw new RangeError(`faults: probabilities add up to ${upTo}, more than 1`);
    this.slowMs = faults.slowMs ?? DEFAULT_SLOW_MS;
    if (!(this.slowMs >= 0)) throw new RangeError(`faults.slowMs = ${faults.slowMs}: expected milliseconds >= 0`);
  }

  /** The fault for the next request, or null. */
  draw(): FaultKind | null {
    if (this.thresholds.length === 0) return null;
    const u = unit(fmix32(fmix32(this.seed >>> 0) ^ fmix32(++this.drawn)));
    for (const t of this.thresholds) if (u < t.upTo) return t.kind;
    return null;
  }
}
