/**
 * The batches whose answers wait for another client's: a case per batch.
 * The verifier decides nothing about the database or the sockets; it keeps
 * the answers, says which client may answer which case next, and settles a
 * case when answers arrive (verdict.ts). The crawl acts on what it returns.
 *
 * A case is
 *   pre-commit — the batch is not written yet (a new token's answer, a spot
 *     check, an answer that leaves out known accounts or lowers their
 *     counters): the winner is written when two tokens agree;
 *   committed — a batch written unchecked (no other client was there) or by
 *     a client since found lying: its answer is known by its hash only, and a
 *     check either confirms it or, settled against it, repairs the rows.
 */
import type { TrustLevel } from "@wotc/schema/db/client-tokens";
import type { Answer } from "./answer";
import { settle, type Verdict } from "./verdict";

export type CaseReason = "new token" | "spot check" | "left out known accounts" | "counters moved back" | "check of an unchecked batch";

export interface Case {
  batchId: number;
  reason: CaseReason;
  answers: Answer[];
  /** Written already; answers[0] is the committed answer (hash only) when it is a later check. */
  committed: boolean;
  /** The settled answer must be written in repair mode: the stored rows are, or may be, wrong. */
  repair: boolean;
  openedAt: number;
  /** When the last answer arrived: a case waits checkWait for the next one. */
  lastAnswerAt: number;
  /** The session a further answer is leased to, if any. */
  leasedTo: string | undefined;
  /** Times its answers were thrown away because no two agreed. */
  rounds: number;
  /** Sessions that held a check of it and gave it back unanswered: not asked again. */
  passedOn: Set<string>;
  /**
   * The session drawn to answer it next, at random among the best eligible
   * clients: a liar cannot pick which answers it checks by being quick to
   * ask. Others may take it once it has waited preferTrustedMs.
   */
  drawn: string | undefined;
}

/** A connected client as the verifier sees it. */
export interface Peer {
  sessionId: string;
  token: string;
  trust: TrustLevel;
  keyIndex: number;
}

export interface VerifierOptions {
  /** How long a case waits for another answer before the crawl stops waiting (commits unchecked, or settles by rank). */
  checkWaitMs: number;
  /** A new token takes a check only after this long, when a trusted client could take it. */
  preferTrustedMs: number;
  /** Answers in one round before they are thrown away and the batch asked afresh. */
  maxAnswers: number;
  now: () => number;
  /** Tokens the operator marked trusted: their answer settles a case alone. */
  isOperator: (token: string) => boolean;
  random: () => number;
}

export type AddResult = Verdict | { kind: "round over" };

export class Verifier {
  private readonly cases = new Map<number, Case>();
  /** Pre-commit answers held per token: a new token waits for checks when it has too many. */
  private readonly held = new Map<string, number>();

  constructor(private readonly options: VerifierOptions) {}

  get size(): number {
    return this.cases.size;
  }

  get(batchId: number): Case | undefined {
    return this.cases.get(batchId);
  }

  all(): IterableIterator<Case> {
    return this.cases.values();
  }

  heldBy(token: string): number {
    return this.held.get(token) ?? 0;
  }

  open(batchId: number, reason: CaseReason, first: Answer, flags: { committed: boolean; repair: boolean }): Case {
    const now = this.options.now();
    const c: Case = { batchId, reason, answers: [first], ...flags, openedAt: now, lastAnswerAt: now, leasedTo: undefined, rounds: 0, passedOn: new Set(), drawn: undefined };
    this.cases.set(batchId, c);
    if (!c.committed) this.count(first.token, 1);
    return c;
  }

  /**
   * Cases `peer` may answer now, best first, at most `limit`: never one it or
   * its token answered already; a new token leaves a fresh case to a trusted
   * client for a moment, and a client on the same key leaves it to one on
   * another key (the same key may be the same WG cache, or the same liar).
   */
  choose(peer: Peer, peers: readonly Peer[], limit: number): number[] {
    const chosen: number[] = [];
    if (limit <= 0) return chosen;
    const now = this.options.now();
    for (const c of this.cases.values()) {
      if (chosen.length >= limit) break;
      if (!this.eligible(c, peer)) continue;
      if (now - c.lastAnswerAt < this.options.preferTrustedMs) {
        if (c.drawn === undefined || !peers.some((p) => p.sessionId === c.drawn && this.eligible(c, p))) c.drawn = this.draw(c, peers);
        if (c.drawn !== peer.sessionId) continue;
      }
      chosen.push(c.batchId);
    }
    return chosen;
  }

  /** A random eligible client among the best ones for this case (most trusted, then on a key none of its answers used). */
  private draw(c: Case, peers: readonly Peer[]): string | undefined {
    let best: Peer[] = [];
    for (const p of peers) {
      if (!this.eligible(c, p)) continue;
      if (best.length === 0 || better(p, best[0]!, c)) best = [p];
      else if (!better(best[0]!, p, c)) best.push(p);
    }
    if (best.length === 0) return undefined;
    return best[Math.floor(this.options.random() * best.length)]!.sessionId;
  }

  leased(batchId: number, sessionId: string): void {
    const c = this.cases.get(batchId);
    if (c) c.leasedTo = sessionId;
  }

  /** The check came back unanswered (the client left, failed it, or let the lease expire): another client gets it. */
  released(batchId: number): void {
    const c = this.cases.get(batchId);
    if (!c) return;
    if (c.leasedTo !== undefined) c.passedOn.add(c.leasedTo);
    c.leasedTo = undefined;
    c.drawn = undefined;
  }

  /** An answer arrived for an open case: settled, still open, or a round without agreement. */
  add(batchId: number, answer: Answer): AddResult {
    const c = this.cases.get(batchId);
    if (!c) throw new Error(`verifier: no open case for batch ${batchId}`);
    c.answers.push(answer);
    c.leasedTo = undefined;
    c.drawn = undefined;
    c.lastAnswerAt = this.options.now();
    if (!c.committed) this.count(answer.token, 1);
    const verdict = settle(c.answers, this.options.isOperator);
    if (verdict.kind === "settled") return verdict;
    if (c.answers.length >= this.options.maxAnswers) return { kind: "round over" };
    return verdict;
  }

  /** The case is done with (settled, committed unchecked, failed or given up). */
  close(batchId: number): Case | undefined {
    const c = this.cases.get(batchId);
    if (!c) return undefined;
    this.cases.delete(batchId);
    if (!c.committed) for (const a of c.answers) this.count(a.token, -1);
    return c;
  }

  /**
   * The token was found lying: its answers leave every case. Returns the
   * pre-commit cases left with no answer at all (their batch must be crawled
   * afresh); committed cases whose own answer was the liar's are closed and
   * returned too (the batch is re-crawled by the crawl's repair).
   */
  dropToken(token: string): number[] {
    const emptied: number[] = [];
    for (const c of [...this.cases.values()]) {
      const before = c.answers.length;
      const liarCommitted = c.committed && c.answers[0]?.token === token;
      c.answers = c.answers.filter((a) => a.token !== token);
      if (!c.committed) this.count(token, c.answers.length - before);
      if (c.answers.length === 0 || liarCommitted) {
        this.close(c.batchId);
        emptied.push(c.batchId);
      }
    }
    this.held.delete(token);
    return emptied;
  }

  /**
   * Cases that will get no further answer soon: no connected client may
   * answer them, or they waited checkWait since their last answer. A leased
   * case is not overdue: its answer may still come.
   */
  overdue(peers: readonly Peer[]): Case[] {
    const now = this.options.now();
    const due: Case[] = [];
    for (const c of this.cases.values()) {
      if (c.leasedTo !== undefined) continue;
      if (now - c.lastAnswerAt >= this.options.checkWaitMs || !peers.some((p) => this.eligible(c, p))) due.push(c);
    }
    return due;
  }

  private eligible(c: Case, peer: Peer): boolean {
    if (c.leasedTo !== undefined || c.passedOn.has(peer.sessionId)) return false;
    for (const a of c.answers) if (a.token === peer.token || a.sessionId === peer.sessionId) return false;
    return true;
  }

  private count(token: string, delta: number): void {
    const n = (this.held.get(token) ?? 0) + delta;
    if (n > 0) this.held.set(token, n);
    else this.held.delete(token);
  }
}

const RANK: Record<TrustLevel, number> = { new: 0, trusted: 1, operator: 2 };

export function trustRank(level: TrustLevel): number {
  return RANK[level];
}

/** Is `other` a better checker of `c` than `peer`: more trusted, or as trusted and on a key none of the answers used? */
function better(other: Peer, peer: Peer, c: Case): boolean {
  if (RANK[other.trust] !== RANK[peer.trust]) return RANK[other.trust] > RANK[peer.trust];
  const usedKey = (p: Peer) => c.answers.some((a) => a.keyIndex === p.keyIndex);
  return usedKey(peer) && !usedKey(other);
}
