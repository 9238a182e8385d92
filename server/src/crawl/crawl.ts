/**
 * One day's crawl: leases batches to clients, checks their results, has a
 * share of them answered again by other clients (the verifier settles those),
 * gathers what stands into chunks for the DB helpers, and marks batches
 * committed when the helpers say so. A client found lying is suspended
 * through `suspend` and everything it answered today is crawled again.
 *
 * The crawl is the hub's work handler: it hears of clients joining, leaving
 * and sending, and talks back only to the sessions it was given.
 * Its state changes only through `setState`:   crawling → complete
 */
import type { Batch } from "@wotc/schema/wire/messages";
import { accountIds, columnsToRows, rowsToColumns, type ResultColumns } from "@wotc/schema/wire/result-frame";
import type { ServerConfig } from "@wotc/schema/config";
import type { CheckState } from "@wotc/schema/db/run-batches";
import type { PoolEvents } from "../db/pool";
import type { DbErrorClass } from "../db/db-errors";
import type { PackedWriteJob, WriteOutcome, SuspectBatch } from "../db/messages";
import { packResults } from "../db/column-transfer";
import type { LeaseBook } from "../plan/lease-book";
import { RateMeter } from "../rate-meter";
import type { Receipt, WorkHandler, WorkMessage } from "../ws/hub";
import type { ClientSession } from "../ws/client-session";
import { answerHash, type Answer } from "../verify/answer";
import type { KnownAccounts } from "../verify/known-accounts";
import { PaceMeter } from "../verify/pace";
import type { TrustBook } from "../verify/trust-book";
import type { TrustLevel } from "@wotc/schema/db/client-tokens";
import { Verifier, trustRank, type CaseReason, type Peer } from "../verify/verifier";
import type { Verdict } from "../verify/verdict";
import { BatchFailures } from "./batch-failures";
import { chunkBatch, ChunkBuilder } from "./chunk-builder";
import type { Provenance } from "./provenance";
import { checkResult, printable, type Refusal } from "./result-check";
import type { RunErrors } from "./run-errors";

export type CrawlState = "crawling" | "complete";

/** What the crawl needs from the DB helper pool. */
export interface ChunkSink {
  readonly pending: number;
  submit(job: PackedWriteJob): number;
}

export interface CrawlDeps {
  date: string;
  book: LeaseBook;
  config: ServerConfig;
  log: (line: string) => void;
  known: KnownAccounts;
  trust: TrustBook;
  provenance: Provenance;
  errors: RunErrors;
  /** A client was found lying: suspend its token and drop its clients (the crawl re-queued its batches already). */
  suspend(token: string, reason: string): void;
  /** A batch was set aside as failed (failed_batches). */
  recordFailed(batch: Batch, reason: string, attempts: number): void;
  /** A committed batch was confirmed by a later check (run_batches provenance). */
  recordChecked(batch: Batch, answeredBy: string, checkedBy: string[]): void;
  /** Batches set aside as failed before this run resumed: their failed row goes when they commit. */
  previouslyFailed?: ReadonlySet<number>;
  /** The operator's pause and drain (the tracker's controls). */
  gate?: LeasingGate;
  now?: () => number;
  random?: () => number;
}

/** Held by the tracker's controls (pause, drain): while it gives a reason, nothing new is leased. */
export interface LeasingGate {
  whyHeld(): string | undefined;
}

/** What the crawl keeps about one working client. */
interface Worker {
  session: ClientSession;
  peer: Peer;
  pace: PaceMeter;
  paceViolations: number;
  /** Failed reports in the current minute: past the limit each one is a strike. */
  failedThisMinute: number;
  batches: number;
  ids: number;
}

/** Written with a batch: the answer it came from (rows dropped) and what to do when it commits. */
interface WriteMeta {
  answer: Omit<Answer, "rows" | "result">;
  state: CheckState;
  /** A repair that replaced a committed answer: judge that answer by the stored rows. */
  judge?: { token: string; at: number };
}

/** Pace violations before a client is called a liar: each is already far past its share. */
const PACE_STRIKES_TO_SUSPEND = 3;
/** Rounds of answers that never agreed before a batch is set aside. */
const MAX_ROUNDS = 2;
/** An answer of a client not on the WG worst case: how long a stalled lease may be renewed. */
const CLIENT_RETRY_CEILING_MS = 8_000;

export class Crawl implements WorkHandler {
  state: CrawlState = "crawling";
  readonly date: string;
  readonly book: LeaseBook;
  readonly startedAt = Date.now();
  readonly idsPerSecond = new RateMeter(10);
  readonly trust: TrustBook;
  readonly verifier: Verifier;
  /** freshAnswers / checkAnswers: answers to fresh leases and to checks (each one WG request, retries aside). */
  readonly counters = { rowsWritten: 0, freshAnswers: 0, checkAnswers: 0, checksOpened: 0, checksAgreed: 0, laterChecks: 0, repairsWritten: 0, liars: 0 };
  /** Set while the database cannot take writes: leasing pauses until a chunk is written again. */
  dbTrouble: { kind: "transient" | "blocking"; name: string; hint: string; error: string } | undefined;
  /** Batches set aside this run, newest last, for the status and the summary. */
  readonly failed: { id: number; platform: string; start: number; end: number; reason: string; attempts: number }[] = [];
  private readonly config: ServerConfig;
  private readonly log: (line: string) => void;
  private readonly workers = new Map<string, Worker>();
  private readonly builder: ChunkBuilder<WriteMeta>;
  private readonly chunks = new Map<number, { batchId: number; meta: WriteMeta }[]>();
  private readonly failures: BatchFailures;
  /** Batches whose stored rows are known wrong: their next answer is written in repair mode. */
  private readonly repairs = new Set<number>();
  private readonly rounds = new Map<number, number>();
  /**
   * Leases the server took back while their client was working on them (the
   * batch was re-queued or settled meanwhile): that client's late answer is
   * dropped without a strike. Key "session:batch", value: until when.
   */
  private readonly withdrawn = new Map<string, number>();
  /** Tokens whose batches the operator had crawled again today: their answers still being written are crawled again too. */
  private readonly distrusted = new Set<string>();
  private sink: ChunkSink | undefined;
  private readonly completion = Promise.withResolvers<void>();
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly maxLeaseMs: number;
  private lastMinute = 0;

  constructor(private readonly deps: CrawlDeps) {
    this.date = deps.date;
    this.book = deps.book;
    this.config = deps.config;
    this.log = deps.log;
    this.trust = deps.trust;
    this.now = deps.now ?? Date.now;
    const v = deps.config.verification;
    this.verifier = new Verifier({
      checkWaitMs: v.checkWaitSeconds * 1000,
      preferTrustedMs: 2_000,
      maxAnswers: 4,
      now: this.now,
      isOperator: (token) => this.trust.level(token) === "operator",
      random: deps.random ?? Math.random,
    });
    this.builder = new ChunkBuilder(deps.date, deps.config.server.chunkRows);
    this.failures = new BatchFailures(v.failAfterClients);
    // A lease outlives the worst case of one batch under WG retries; a client that keeps
    // reporting progress has its leases renewed up to twice that.
    const wg = deps.config.wg;
    const worstMs = wg.maxAttempts * (wg.requestTimeoutMs + CLIENT_RETRY_CEILING_MS);
    this.leaseMs = deps.config.server.leaseSeconds * 1000;
    this.maxLeaseMs = Math.max(this.leaseMs, 2 * worstMs);
    if (deps.book.complete) this.setState("complete");
  }

  /** Resolves when every batch of the day is committed or set aside. */
  get done(): Promise<void> {
    return this.completion.promise;
  }

  connect(sink: ChunkSink): void {
    this.sink = sink;
  }

  // ---- the hub's events ------------------------------------------------

  join(session: ClientSession): void {
    if (this.trust.isSuspended(session.tokenName)) {
      // Reconnected before its suspension reached the token store: it gets nothing.
      session.close(1008, "token suspended");
      return;
    }
    let w = this.workers.get(session.id);
    if (!w) {
      const pace = new PaceMeter(this.now);
      w = {
        session,
        peer: { sessionId: session.id, token: session.tokenName, trust: this.trust.level(session.tokenName), keyIndex: session.keyIndex },
        pace,
        paceViolations: 0,
        failedThisMinute: 0,
        batches: 0,
        ids: 0,
      };
      this.trust.know(session.tokenName, session.trust, session.agreements);
      w.peer.trust = this.trust.level(session.tokenName);
      pace.configure(session.rps, session.inFlight);
      this.workers.set(session.id, w);
    }
    this.fill(w);
  }

  rateChanged(session: ClientSession): void {
    const w = this.workers.get(session.id);
    if (!w) return;
    w.pace.configure(session.rps, session.inFlight);
    this.fill(w);
  }

  leave(session: ClientSession): void {
    const w = this.workers.get(session.id);
    if (!w) return;
    this.workers.delete(session.id);
    const released = this.book.releaseHolder(session.id);
    for (const { id, check } of released) if (check) this.verifier.released(id);
    if (released.length > 0) this.fillAll();
  }

  receive(session: ClientSession, message: WorkMessage): Receipt {
    const w = this.workers.get(session.id);
    if (!w) return { refused: "this client is not working on the crawl" };
    switch (message.type) {
      case "stats":
        this.book.renew(session.id, this.leaseMs, this.maxLeaseMs);
        return undefined;
      case "result":
        return this.accept(w, message.id, message.result);
      case "failed": {
        const refused = this.failedReport(w, message.id, message.reason);
        return refused ? { refused } : undefined;
      }
      case "release": {
        for (const id of message.ids) {
          const lease = this.book.giveBack(session.id, id);
          if (lease?.check) this.verifier.released(id);
        }
        this.fillAll();
        return undefined;
      }
    }
  }

  // ---- leasing ---------------------------------------------------------

  fillAll(): void {
    for (const w of this.workers.values()) this.fill(w);
  }

  private fill(w: Worker): void {
    const { session } = w;
    if (session.state !== "working") return;
    const blocked = this.whyNotLeasing();
    if (blocked) {
      if (this.book.heldBy(session.id) === 0) session.wait(blocked);
      return;
    }
    const wanted = session.inFlight - this.book.heldBy(session.id);
    // Topped up a few at a time, not after every answer: each work message wakes the client, and at
    // 20 requests/s that was a wake-up per request (a volunteer's CPU is mostly wake-ups)
    if (wanted <= 0 || wanted < refillStep(session.inFlight)) return;
    const batches: Batch[] = [];
    // Checks first: answers of other clients wait for them.
    for (const id of this.verifier.choose(w.peer, this.peers(), wanted)) {
      const batch = this.book.leaseCheck(session.id, id, this.leaseMs);
      if (!batch) continue;
      this.verifier.leased(id, session.id);
      batches.push(batch);
    }
    if (batches.length < wanted) batches.push(...this.laterChecks(w, wanted - batches.length));
    const freshBlocked = batches.length < wanted ? this.whyNoFreshWork(w) : undefined;
    if (batches.length < wanted && !freshBlocked) batches.push(...this.book.lease(session.id, wanted - batches.length, this.leaseMs));
    if (batches.length > 0) session.send({ type: "work", batches });
    else if (this.book.heldBy(session.id) === 0) {
      session.wait(freshBlocked ?? "every remaining batch is leased to other clients or being written");
    }
  }

  /** Unchecked batches of other tokens (committed while no other client was there) that this client can check now. */
  private laterChecks(w: Worker, limit: number): Batch[] {
    if (this.verifier.size >= this.config.verification.maxHeldBatches) return [];
    const batches: Batch[] = [];
    const candidates = this.deps.provenance.uncheckedFor(w.peer.token, limit, (id) => this.verifier.get(id) !== undefined || this.book.state(id) !== "committed" || this.book.leaseOf(id) !== undefined);
    for (const { batchId, stored } of candidates) {
      if (this.trust.isSuspended(stored.token)) continue;
      const phantom: Answer = { batchId, sessionId: "", token: stored.token, keyIndex: -1, leasedAt: stored.at, receivedAt: stored.at, hash: stored.hash };
      this.verifier.open(batchId, "check of an unchecked batch", phantom, { committed: true, repair: true });
      const batch = this.book.leaseCheck(w.session.id, batchId, this.leaseMs);
      if (!batch) {
        this.verifier.close(batchId);
        continue;
      }
      this.verifier.leased(batchId, w.session.id);
      this.counters.laterChecks++;
      batches.push(batch);
    }
    return batches;
  }

  private whyNotLeasing(): string | undefined {
    if (this.state !== "crawling") return "the run is complete";
    const held = this.deps.gate?.whyHeld();
    if (held) return held;
    if (this.dbTrouble) {
      return this.dbTrouble.kind === "transient"
        ? `the database is unavailable (${this.dbTrouble.error}); waiting for it`
        : `the database cannot write (${this.dbTrouble.name}); waiting for the operator`;
    }
    if (this.book.counts.writing >= this.config.server.maxQueuedBatches) return "the database is behind; waiting for it to catch up";
    return undefined;
  }

  /**
   * A token whose answers wait for checks gets no fresh work while too many of
   * them wait: a new token (checked on every batch) cannot run ahead of its
   * checkers, nor can a trusted one whose answers keep needing a second
   * opinion (they leave out known players, say).
   */
  private whyNoFreshWork(w: Worker): string | undefined {
    const level = this.trust.level(w.peer.token);
    if (level === "operator") return undefined;
    const held = this.verifier.heldBy(w.peer.token);
    if (held >= Math.max(20, 4 * w.session.inFlight) || (level === "new" && this.verifier.size >= this.config.verification.maxHeldBatches)) {
      return `${held} of this token's answers wait for another client to check them${level === "new" ? " (a new token is checked on every batch)" : ""}`;
    }
    return undefined;
  }

  private peers(): Peer[] {
    const peers: Peer[] = [];
    for (const w of this.workers.values()) {
      if (w.session.state !== "working" || this.trust.isSuspended(w.peer.token)) continue;
      w.peer.trust = this.trust.level(w.peer.token);
      peers.push(w.peer);
    }
    return peers;
  }

  // ---- answers ---------------------------------------------------------

  private accept(w: Worker, id: number, result: ResultColumns): Receipt {
    const { session } = w;
    const lease = this.book.leaseOf(id);
    if (!lease || lease.holder !== session.id) {
      if (this.withdrawn.delete(`${session.id}:${id}`)) return undefined; // our doing, not the client's
      const state = this.book.state(id);
      return this.refused(w, id, {
        reason: state === "committed" || state === "writing" ? "already answered" : "not leased",
        message: state === "committed" || state === "writing" ? `batch ${id} was already answered` : `batch ${id} is not leased to you`,
      });
    }
    const batch = this.book.plan.batch(id);
    const bad = checkResult(batch, result);
    if (bad) return this.refused(w, id, bad);
    if (!w.pace.take()) {
      w.paceViolations++;
      const message = `batch ${id} answered faster than a rate share of ${w.pace.describe()} allows`;
      if (w.paceViolations >= PACE_STRIKES_TO_SUSPEND) {
        this.liar(w.peer.token, `answered ${w.paceViolations} times faster than its rate share of ${w.pace.describe()} allows: it is not querying WG`);
      }
      return this.refused(w, id, { reason: "too fast", message });
    }
    const answer: Answer = {
      batchId: id,
      sessionId: session.id,
      token: w.peer.token,
      keyIndex: w.peer.keyIndex,
      leasedAt: lease.leasedAt,
      receivedAt: this.now(),
      result,
      hash: "",
    };
    this.trust.result(answer.token);
    w.batches++;
    w.ids += batch.end - batch.start;
    if (lease.check) {
      this.counters.checkAnswers++;
      withRows(answer);
      this.book.hold(session.id, id);
      this.caseAnswer(id, answer);
    } else {
      this.counters.freshAnswers++;
      this.freshAnswer(batch, answer, session.id);
    }
    this.fill(w);
    return { accepted: { ids: batch.end - batch.start } };
  }

  private refused(w: Worker, id: number, refusal: Refusal): Receipt {
    return { refused: this.refuse(w, id, refusal) };
  }

  private refuse(w: Worker, id: number, refusal: Refusal): string {
    this.deps.errors.add(`refused results: ${refusal.reason}`);
    this.trust.refused(w.peer.token);
    const lease = this.book.giveBack(w.session.id, id);
    if (lease?.check) this.verifier.released(id);
    return refusal.message;
  }

  private freshAnswer(batch: Batch, answer: Answer, holder: string): void {
    const id = batch.id;
    const level = this.trust.level(answer.token);
    const repair = this.repairs.has(id);
    if (level === "operator" || !this.config.verification.enabled) {
      this.book.write(id); // drops the answerer's own lease
      return this.write(batch, answer, repair ? "repaired" : level === "operator" ? "operator" : "skipped", [], repair);
    }
    let reason: CaseReason | undefined;
    if (this.deps.known.firstMissing(id, batch.start, accountIds(answer.result!)) !== undefined) reason = "left out known accounts";
    else if (this.trust.wantsCheck(answer.token)) reason = level === "new" ? "new token" : "spot check";
    if (reason === "spot check" && this.verifier.size >= this.config.verification.maxHeldBatches) reason = undefined;
    if (!reason) {
      this.book.write(id); // drops the answerer's own lease
      return this.write(batch, answer, repair ? "repaired" : "skipped", [], repair);
    }
    withRows(answer);
    this.book.hold(holder, id);
    this.verifier.open(id, reason, answer, { committed: false, repair });
    this.counters.checksOpened++;
  }

  private caseAnswer(id: number, answer: Answer): void {
    if (!this.verifier.get(id)) return; // the case ended meanwhile (settled, or its batch re-queued)
    const result = this.verifier.add(id, answer);
    if (result.kind === "settled") this.settle(id, result);
    else if (result.kind === "round over") this.roundOver(id);
  }

  private settle(id: number, verdict: Extract<Verdict, { kind: "settled" }>): void {
    const c = this.verifier.close(id)!;
    const batch = this.book.plan.batch(id);
    this.counters.checksAgreed++;
    for (const token of this.trust.agreed(verdict.agreeing, (verdict.winner.rows?.length ?? 0) > 0)) this.log(`token ${token} is trusted now: ${this.config.verification.agreementsToTrust} answers agreed with other clients'`);
    const lastAgreeing = Math.max(...c.answers.filter((a) => a.hash === verdict.winner.hash).map((a) => a.receivedAt));
    for (const odd of verdict.odd) {
      if (odd.lie === true) this.liar(odd.answer.token, `batch ${id} [${batch.start}, ${batch.end}): ${odd.why}`);
      else if (odd.lie === false) {
        const why = this.trust.outvoted(odd.answer.token, odd.answer.receivedAt > lastAgreeing);
        if (why) this.liar(odd.answer.token, why);
      }
    }
    const checkedBy = verdict.agreeing.filter((t) => t !== verdict.winner.token);
    if (c.committed) {
      const stored = c.answers[0]!;
      this.deps.provenance.checked(id);
      if (verdict.winner.hash === stored.hash) {
        this.deps.provenance.record(id, stored.token, "agreed");
        this.deps.recordChecked(batch, stored.token, verdict.agreeing.filter((t) => t !== stored.token));
        return;
      }
      // Two clients agree against the committed answer: their rows replace it, and the stored rows are judged.
      this.withdrawing(this.book.write(id), id);
      this.write(batch, verdict.winner, "repaired", checkedBy, true, { token: stored.token, at: stored.receivedAt });
      return;
    }
    this.withdrawing(this.book.write(id), id);
    this.write(batch, verdict.winner, this.repairs.has(id) ? "repaired" : "agreed", checkedBy, c.repair);
  }

  /** Four answers and no two tokens agree: throw them away and ask afresh, twice, then set the batch aside. */
  private roundOver(id: number): void {
    const c = this.verifier.close(id)!;
    this.deps.errors.add("answers that never agreed");
    if (c.committed) return; // stays as committed, unchecked
    const rounds = (this.rounds.get(id) ?? 0) + 1;
    this.rounds.set(id, rounds);
    if (rounds >= MAX_ROUNDS) return this.failBatch(id, `${c.answers.length} answers from different clients never agreed, ${rounds} times`, c.answers.length * rounds);
    this.requeue(id);
  }

  /** Cases that will get no further answer soon (no other client there, or it waited long enough). */
  private settleOverdue(): void {
    const peers = this.peers();
    for (const c of this.verifier.overdue(peers)) {
      if (c.committed) {
        this.verifier.close(c.batchId);
        continue;
      }
      const batch = this.book.plan.batch(c.batchId);
      const [first, ...others] = c.answers;
      if (!first) {
        this.verifier.close(c.batchId);
        this.requeue(c.batchId);
        continue;
      }
      if (others.length === 0) {
        // One client's word, and nobody to check it now: written, marked unchecked, checked later.
        this.verifier.close(c.batchId);
        this.withdrawing(this.book.write(c.batchId), c.batchId);
        this.write(batch, first, "unchecked", [], c.repair);
        continue;
      }
      // Answers disagree and no third client can settle it: the most trusted token's answer, if one stands out.
      const rank = (a: Answer) => trustRank(this.trust.level(a.token));
      const top = Math.max(...c.answers.map(rank));
      const best = c.answers.filter((a) => rank(a) === top);
      if (new Set(best.map((a) => a.token)).size === 1) {
        this.verifier.close(c.batchId);
        this.withdrawing(this.book.write(c.batchId), c.batchId);
        this.write(batch, best[0]!, "unchecked", [], c.repair);
      } else this.roundOver(c.batchId);
    }
  }

  private failedReport(w: Worker, id: number, reason: string): string | undefined {
    const lease = this.book.giveBack(w.session.id, id, { last: true });
    if (!lease) return this.refuse(w, id, { reason: "not leased", message: `batch ${id} is not leased to you` });
    if (lease.check) this.verifier.released(id);
    const text = printable(reason);
    this.deps.errors.add("failed batches reported");
    const verdict = this.failures.report(id, w.session.id, text);
    if (verdict.setAside) this.failBatch(id, text, verdict.attempts);
    else this.log(`client ${w.session.name} could not crawl batch ${id}: ${text}`);
    this.fillAll();
    if (++w.failedThisMinute > this.config.verification.maxFailedPerMinute) {
      this.deps.errors.add("refused results: too many failures");
      return `more than ${this.config.verification.maxFailedPerMinute} failed batches in a minute`;
    }
    return undefined;
  }

  private failBatch(id: number, reason: string, attempts: number): void {
    const batch = this.book.plan.batch(id);
    this.verifier.close(id);
    this.withdrawing(this.book.fail(id), id);
    this.failures.forget(id);
    this.deps.errors.add("batches set aside as failed");
    this.failed.push({ id, platform: batch.platform, start: batch.start, end: batch.end, reason, attempts });
    if (this.failed.length > 1000) this.failed.shift();
    this.log(`batch ${id} ${batch.platform} [${batch.start}, ${batch.end}) set aside as failed after ${attempts} attempts: ${reason}`);
    this.deps.recordFailed(batch, reason, attempts);
    this.checkComplete();
  }

  /** A client was found lying: suspended, its open answers dropped, everything it wrote today crawled again. */
  liar(token: string, reason: string): void {
    if (!this.trust.suspend(token, reason)) return;
    this.counters.liars++;
    this.deps.errors.add("clients suspended for lying");
    this.log(`SUSPENDED token ${token}: ${reason}; every batch it answered today is crawled again`);
    for (const id of this.verifier.dropToken(token)) {
      if (this.book.state(id) === "held") this.requeue(id);
      else if (this.book.state(id) === "committed") this.recrawl(id);
    }
    let again = 0;
    for (const id of this.deps.provenance.unconfirmedOf(token)) {
      if (this.book.state(id) !== "committed") continue;
      this.recrawl(id);
      again++;
    }
    if (again > 0) this.log(`${again} batches answered by ${token} are crawled again`);
    this.deps.suspend(token, reason);
    this.fillAll();
  }

  /**
   * The operator's re-crawl of a (suspended) token: its batches committed
   * today that no other token confirmed are crawled again and repaired, and
   * so are any of its answers still being written. Returns how many.
   */
  recrawlToken(token: string): number {
    this.distrusted.add(token);
    let again = 0;
    for (const id of this.deps.provenance.unconfirmedOf(token)) {
      if (this.book.state(id) !== "committed") continue;
      this.recrawl(id);
      again++;
    }
    this.fillAll();
    return again;
  }

  /** The operator suspended the token (it was not caught here): the crawl holds it suspended too, as shown and as a client of it that slips in is refused. */
  operatorSuspended(token: string, reason: string): void {
    this.trust.suspend(token, reason);
  }

  /** The operator reinstated the token: it may work again, starting over at `level`, and what it writes from now on stands. */
  reinstated(token: string, level: TrustLevel): void {
    this.trust.reinstate(token, level);
    this.distrusted.delete(token);
  }

  private recrawl(id: number): void {
    this.deps.provenance.checked(id);
    this.repairs.add(id);
    this.requeue(id);
  }

  /** Ask for a batch afresh; a check still out on it is withdrawn. */
  private requeue(id: number): void {
    this.withdrawing(this.book.requeue(id), id);
  }

  /** A lease the server took back: its holder's late answer is not held against it. */
  private withdrawing(lease: { holder: string; check: boolean } | undefined, id: number): void {
    if (!lease) return;
    if (lease.check) this.verifier.released(id);
    if (this.withdrawn.size > 10_000) this.withdrawn.clear();
    this.withdrawn.set(`${lease.holder}:${id}`, this.now() + this.maxLeaseMs);
  }

  // ---- writing ---------------------------------------------------------

  private write(batch: Batch, answer: Answer, state: CheckState, checkedBy: string[], repair: boolean, judge?: WriteMeta["judge"]): void {
    const result = answer.result ?? rowsToColumns(answer.rows!);
    const provenance = {
      answeredBy: answer.token,
      checkState: state,
      checkedBy: checkedBy.length > 0 ? checkedBy.join(",") : null,
      answerHash: state === "unchecked" || answer.hash ? withRows(answer).hash : null,
    };
    const { rows: _rows, result: _result, ...withoutRows } = answer;
    const meta: WriteMeta = { answer: { ...withoutRows, hash: provenance.answerHash ?? "" }, state, ...(judge ? { judge } : {}) };
    this.deps.known.addAll(batch.id, batch.start, accountIds(result));
    const clearsFailed = this.deps.previouslyFailed?.has(batch.id) ?? false;
    if (repair) {
      const job = {
        runDate: this.date,
        batches: [chunkBatch(batch, result, provenance)],
        players: packResults([{ result, platform: batch.platform }]),
        repair: true as const,
        judge: judge !== undefined,
        storedAt: judge ? [judge.at] : undefined,
      };
      this.submit(job, [{ batchId: batch.id, meta }]);
      return;
    }
    const full = this.builder.add(batch, result, provenance, meta, clearsFailed);
    if (full) this.submit(full.chunk, full.entries);
  }

  private submit(job: PackedWriteJob, entries: { batchId: number; meta: WriteMeta }[]): void {
    const chunkId = this.sink!.submit(job);
    this.chunks.set(chunkId, entries);
  }

  /** The events the DB helper pool reports to. */
  readonly poolEvents: PoolEvents = {
    written: (chunkId, outcome) => this.written(chunkId, outcome),
    retrying: (_chunkId, attempt, error) => {
      this.deps.errors.add("database retries");
      if (!this.dbTrouble) this.log(`database write failed (${error}); retrying, leasing paused`);
      this.dbTrouble = { kind: "transient", name: "unavailable", hint: "the database is unreachable or restarting; writes are retried", error };
      if (attempt % 20 === 0) this.log(`database still failing after ${attempt} attempts: ${error}`);
    },
    blocked: (_chunkId, attempt, error, problem: DbErrorClass) => {
      if (attempt === 1) this.deps.errors.add(`database blocked: ${problem.name}`);
      if (this.dbTrouble?.name !== problem.name) this.log(`DATABASE CANNOT WRITE (${problem.name}): ${error}. ${problem.hint}. Leasing paused; retrying until it works.`);
      this.dbTrouble = { kind: "blocking", name: problem.name, hint: problem.hint, error };
    },
    abandoned: (chunkId, error) => {
      const entries = this.chunks.get(chunkId) ?? [];
      this.chunks.delete(chunkId);
      this.log(`a chunk of ${entries.length} batches was not written (${error}); they will be crawled again`);
      for (const { batchId } of entries) this.requeue(batchId);
    },
  };

  private written(chunkId: number, outcome: WriteOutcome): void {
    const entries = this.chunks.get(chunkId) ?? [];
    this.chunks.delete(chunkId);
    const suspects = new Map(outcome.suspects.map((s) => [s.index, s]));
    const rejected = new Map(outcome.rejected.map((r) => [r.index, r]));
    let committedIds = 0;
    entries.forEach(({ batchId, meta }, index) => {
      const suspect = suspects.get(index);
      if (suspect) return this.secondOpinion(batchId, meta, suspect);
      const refused = rejected.get(index);
      if (refused) return this.failBatch(batchId, `the database refuses its rows: ${refused.error}`, 1);
      this.book.commit(batchId);
      const batch = this.book.plan.batch(batchId);
      committedIds += batch.end - batch.start;
      this.deps.provenance.record(batchId, meta.answer.token, meta.state, meta.answer.hash, meta.answer.receivedAt);
      this.failures.forget(batchId);
      this.rounds.delete(batchId);
      if (this.repairs.delete(batchId)) this.counters.repairsWritten++;
      if (meta.judge) {
        const why = outcome.judgements?.[index];
        if (why) this.liar(meta.judge.token, `batch ${batchId} [${batch.start}, ${batch.end}): ${why}`);
        else this.trust.outvoted(meta.judge.token, false);
      }
      // Written while its answerer was being found out: crawl it again too.
      if ((this.trust.isSuspended(meta.answer.token) || this.distrusted.has(meta.answer.token)) && meta.state !== "agreed") this.recrawl(batchId);
    });
    this.idsPerSecond.record(committedIds);
    this.counters.rowsWritten += outcome.rows;
    if (this.dbTrouble) {
      this.log("database writes are back; leasing resumes");
      this.dbTrouble = undefined;
    }
    if (!this.checkComplete()) this.fillAll();
  }

  /** The trigger found counters moving back: the answer waits for another client's (or, agreed already, is written as a repair). */
  private secondOpinion(batchId: number, meta: WriteMeta, suspect: SuspectBatch): void {
    const batch = this.book.plan.batch(batchId);
    const answer: Answer = { ...meta.answer, rows: suspect.rows, hash: answerHash(suspect.rows) };
    if (meta.state === "agreed" || meta.state === "operator" || meta.state === "repaired" || this.trust.level(answer.token) === "operator") {
      // Two tokens (or the operator) already stand behind it: the stored counters were wrong.
      this.book.park(batchId);
      this.withdrawing(this.book.write(batchId), batchId);
      this.write(batch, answer, meta.state, [], true);
      return;
    }
    this.log(`batch ${batchId}: ${suspect.why} in the answer of ${answer.token}; asking another client`);
    this.book.park(batchId);
    this.verifier.open(batchId, "counters moved back", answer, { committed: false, repair: true });
    this.counters.checksOpened++;
  }

  // ---- time ------------------------------------------------------------

  /** Periodic work: expire leases, settle overdue checks, hand gathered rows to idle helpers, lease to anyone starved. */
  tick(): void {
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.lastMinute) {
      this.lastMinute = minute;
      for (const w of this.workers.values()) w.failedThisMinute = 0;
    }
    const now = this.now();
    for (const [key, until] of this.withdrawn) if (until <= now) this.withdrawn.delete(key);
    const expired = this.book.expire();
    for (const e of expired) if (e.check) this.verifier.released(e.id);
    if (expired.length > 0) {
      this.deps.errors.add("expired leases", expired.length);
      this.log(`${expired.length} leases expired without an answer; leasing them again`);
    }
    this.settleOverdue();
    // Small chunks only when a helper would otherwise sit idle; under load they fill up.
    if (this.sink && this.sink.pending < this.config.server.dbHelpers) this.flush();
    if (!this.checkComplete()) this.fillAll();
  }

  /** Hands whatever has gathered to the helpers at once (the server is stopping). */
  flushAll(): void {
    this.flush();
  }

  private flush(): void {
    const built = this.builder.take();
    if (built) this.submit(built.chunk, built.entries);
  }

  private checkComplete(): boolean {
    if (this.state === "complete") return true;
    if (!this.book.complete) return false;
    // Checks of batches already committed do not hold the run up.
    for (const c of [...this.verifier.all()]) if (c.committed) this.verifier.close(c.batchId);
    this.setState("complete");
    return true;
  }

  private setState(next: CrawlState): void {
    if (this.state === next && next !== "complete") return;
    this.state = next;
    if (next === "complete") this.completion.resolve();
  }

  // ---- what the operator sees -----------------------------------------

  /** Per working client, what it did for this crawl (by session id). */
  clientFigures(): Map<string, { batches: number; ids: number; trust: string; paceViolations: number }> {
    const out = new Map<string, { batches: number; ids: number; trust: string; paceViolations: number }>();
    for (const [id, w] of this.workers) {
      out.set(id, { batches: w.batches, ids: w.ids, trust: this.trust.isSuspended(w.peer.token) ? "suspended" : this.trust.level(w.peer.token), paceViolations: w.paceViolations });
    }
    return out;
  }

  status() {
    const counts = this.book.counts;
    const idsPerSecond = this.idsPerSecond.perSecond();
    const remainingIds = (this.book.plan.ids * (counts.total - counts.committed - counts.failed)) / Math.max(1, counts.total);
    const checks = this.deps.provenance.counts();
    const committedChecked = checks.agreed + checks.repaired;
    return {
      date: this.date,
      state: this.state,
      batches: {
        total: counts.total,
        done: counts.committed,
        failed: counts.failed,
        leased: counts.leased,
        checking: counts.checking,
        held: counts.held,
        writing: counts.writing,
        queued: counts.queued,
      },
      idsPerSecond: Math.round(idsPerSecond),
      etaSeconds: idsPerSecond > 0 ? Math.round(remainingIds / idsPerSecond) : null,
      elapsedSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      dbPendingChunks: this.sink?.pending ?? 0,
      dbTrouble: this.dbTrouble ?? null,
      paused: this.deps.gate?.whyHeld() ?? null,
      verification: {
        enabled: this.config.verification.enabled,
        committed: checks,
        /** Share of the committed batches whose answer another token confirmed (or repaired). */
        checkedShare: counts.committed > 0 ? committedChecked / counts.committed : 0,
        openChecks: this.verifier.size,
        tokens: this.trust.figures(),
      },
      failedBatches: this.failed.slice(-20),
      errors: this.deps.errors.all(),
      counters: this.counters,
    };
  }
}

/**
 * The answer's rows, for the verifier (it relates answers row by row) and its
 * hash: only answers that are checked need them, so they are made from the
 * columns then, not for every result.
 */
function withRows(answer: Answer): Answer {
  answer.rows ??= columnsToRows(answer.result!);
  answer.hash ||= answerHash(answer.rows);
  return answer;
}

/** Free lease slots a client gets new work for at once: up to 4, never more than a fifth of what it holds, so it never runs dry. */
export function refillStep(inFlight: number): number {
  return Math.max(1, Math.min(4, Math.floor(inFlight / 5)));
}
