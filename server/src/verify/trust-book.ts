/**
 * What the crawl knows about each token: its trust level (new, trusted,
 * operator), whether it is suspended, and this run's figures for the status
 * and the summary. Loaded from the token store when a token connects; what
 * changes (agreements, promotions) is handed back in batches by `drain()`,
 * a suspension at once by the crawl's suspend hook.
 */
import type { TrustLevel } from "@wotc/schema/db/client-tokens";

export interface TrustPolicy {
  /** Agreeing answers a new token needs before it is trusted. */
  agreementsToTrust: number;
  /** Share of a trusted token's batches checked by another client. */
  spotCheckShare: number;
  /**
   * A trusted token's n-th answer of a run is checked with probability
   * min(1, earlyChecks / n), never less than spotCheckShare: a token that
   * turned dishonest overnight is found early in its day. The cost is about
   * earlyChecks * ln(1 / spotCheckShare) checks a token a run more than the
   * flat share (5 and 3%: about 18), nothing next to a full-size day.
   */
  earlyChecks: number;
  random: () => number;
}

export interface TokenFigures {
  token: string;
  state: TrustLevel | "suspended";
  /** Answers accepted (refused ones are not results). */
  results: number;
  /** Of those, compared with another token's answer. */
  checked: number;
  agreements: number;
  /** Outvoted by two agreeing tokens (stale views included). */
  disagreements: number;
  refused: number;
  suspendedReason: string | null;
}

interface TokenTrust {
  level: TrustLevel;
  /** Over the token's life: loaded, plus this run's. */
  agreements: number;
  suspended: string | null;
  /** Outvoted while later and ahead of two agreeing answers: a liar who only inflates as a checker looks like this. */
  aheadOfOthers: number;
  run: Omit<TokenFigures, "token" | "state" | "suspendedReason">;
  unsaved: { agreements: number; disagreements: number; promoted: boolean };
}

/** A token outvoted while ahead this often (and this share of its checked answers) is not seeing real play. */
const AHEAD_SUSPICION = { count: 5, share: 0.25 };

export class TrustBook {
  private readonly tokens = new Map<string, TokenTrust>();

  constructor(private readonly policy: TrustPolicy) {}

  /** A client of this token connected (or its trust was re-read): keeps this run's figures. */
  know(token: string, level: TrustLevel, agreements: number, suspended: string | null = null): void {
    const t = this.tokens.get(token);
    if (t) {
      // The store is the truth when a client connects (the operator may have run
      // `token trust` or `reinstate` meanwhile), except a promotion not yet saved.
      t.level = t.unsaved.promoted && level === "new" ? "trusted" : level;
      // A suspension found in this run stands until the operator reinstates the token (reinstate()).
      t.suspended ??= suspended;
      return;
    }
    this.tokens.set(token, {
      level,
      agreements,
      suspended,
      aheadOfOthers: 0,
      run: { results: 0, checked: 0, agreements: 0, disagreements: 0, refused: 0 },
      unsaved: { agreements: 0, disagreements: 0, promoted: false },
    });
  }

  level(token: string): TrustLevel {
    return this.get(token).level;
  }

  /** What the dashboard shows for a token: its level, "suspended", or undefined for a token not seen this run. */
  stateOf(token: string): TrustLevel | "suspended" | undefined {
    const t = this.tokens.get(token);
    return t === undefined ? undefined : t.suspended !== null ? "suspended" : t.level;
  }

  isSuspended(token: string): boolean {
    return this.tokens.get(token)?.suspended != null;
  }

  /**
   * Does this fresh answer need another client's? A new token: always. A
   * trusted one: a random few percent, drawn after the answer arrived, so
   * the client cannot know which. The operator's own: never.
   */
  wantsCheck(token: string): boolean {
    const level = this.level(token);
    if (level === "operator") return false;
    if (level === "new") return true;
    const n = this.get(token).run.results; // this answer is the n-th of the run
    const share = Math.max(this.policy.spotCheckShare, Math.min(1, this.policy.earlyChecks / Math.max(1, n)));
    return this.policy.random() < share;
  }

  result(token: string): void {
    this.get(token).run.results++;
  }

  refused(token: string): void {
    this.get(token).run.refused++;
  }

  /**
   * Answers of these tokens agreed exactly. A new token with enough agreements
   * becomes trusted. An agreement on an empty batch (no players at all) proves
   * nothing — a client that answers everything empty would farm trust on the
   * empty top of the ID ranges — so it does not count towards trust.
   */
  agreed(tokens: readonly string[], provesSomething = true): string[] {
    const promoted: string[] = [];
    if (new Set(tokens).size < 2) return promoted;
    for (const token of tokens) {
      const t = this.get(token);
      t.run.checked++;
      if (!provesSomething) continue;
      t.run.agreements++;
      t.agreements++;
      t.unsaved.agreements++;
      if (t.level === "new" && t.agreements >= this.policy.agreementsToTrust) {
        t.level = "trusted";
        t.unsaved.promoted = true;
        promoted.push(token);
      }
    }
    return promoted;
  }

  /**
   * The token's answer was outvoted. `ahead`: it came later and was ahead of
   * the agreeing answers (plausible play). Returns a reason to suspend it when
   * that happens too often to be real.
   */
  outvoted(token: string, ahead: boolean): string | undefined {
    const t = this.get(token);
    t.run.checked++;
    t.run.disagreements++;
    t.unsaved.disagreements++;
    if (!ahead) return undefined;
    t.aheadOfOthers++;
    if (t.aheadOfOthers >= AHEAD_SUSPICION.count && t.aheadOfOthers >= AHEAD_SUSPICION.share * t.run.checked) {
      return `its answers were ahead of two agreeing clients ${t.aheadOfOthers} times in ${t.run.checked} checks; real play between queries seconds apart is far rarer`;
    }
    return undefined;
  }

  /** The operator lifted the suspension (the token starts over as the store says). */
  reinstate(token: string, level: TrustLevel): void {
    const t = this.tokens.get(token);
    if (!t) return;
    t.suspended = null;
    t.level = level;
    t.aheadOfOthers = 0;
  }

  suspend(token: string, reason: string): boolean {
    const t = this.get(token);
    if (t.suspended !== null) return false;
    t.suspended = reason;
    return true;
  }

  /** The verdicts not yet written to the token store, and forgets them. */
  drain(): { name: string; agreements: number; disagreements: number; trust?: TrustLevel }[] {
    const out = [];
    for (const [name, t] of this.tokens) {
      const u = t.unsaved;
      if (u.agreements === 0 && u.disagreements === 0 && !u.promoted) continue;
      out.push({ name, agreements: u.agreements, disagreements: u.disagreements, ...(u.promoted ? { trust: "trusted" as const } : {}) });
      t.unsaved = { agreements: 0, disagreements: 0, promoted: false };
    }
    return out;
  }

  /** Handed back when the store could not take them: added again for the next try. */
  restore(updates: ReturnType<TrustBook["drain"]>): void {
    for (const u of updates) {
      const t = this.tokens.get(u.name);
      if (!t) continue;
      t.unsaved.agreements += u.agreements;
      t.unsaved.disagreements += u.disagreements;
      t.unsaved.promoted ||= u.trust === "trusted";
    }
  }

  figures(): TokenFigures[] {
    return [...this.tokens].map(([token, t]) => ({
      token,
      state: t.suspended !== null ? "suspended" : t.level,
      ...t.run,
      suspendedReason: t.suspended,
    }));
  }

  private get(token: string): TokenTrust {
    let t = this.tokens.get(token);
    if (!t) {
      this.know(token, "new", 0);
      t = this.tokens.get(token)!;
    }
    return t;
  }
}
