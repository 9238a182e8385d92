/**
 * Paces WG requests so that this client never sends more than its share in
 * any one-second window, however WG counts "N requests per second"
 * (shared/reference/wg-api.md §5 leaves it unknown): a token bucket with a
 * second of burst, or a strict sliding window.
 *
 * - Its share of R requests/s is an allotment of A = floor(R) requests per
 *   window of W = 1 s + `windowMarginMs` (for a fraction below 1, one request
 *   per 1/R s). Requests start on slots W/A apart, a steady stream, and a hard
 *   check on the start times actually sent holds every run of A+1 starts to
 *   more than W apart. The server splits a key in whole requests (7 + 7 + 6 of
 *   20), so clients that each keep to their allotment keep the key under its
 *   limit in every window, whatever their phases; the margin absorbs the
 *   difference in network delay between two requests a second apart.
 *   Obeying a strict window implies obeying a token bucket of the same rate.
 * - `maxConcurrent` bounds the requests running at once; with `rps: null` it
 *   is the only bound, with `rps: 0` nothing starts until the rate is raised.
 * - A smaller share applies at once (the hard check already counts what was
 *   sent under the larger one). A larger share applies one window later: the
 *   client that left may have sent its last requests just now, and WG still
 *   counts them.
 * - Holders of one key may line their requests up (no phase: see
 *   server/src/keys.ts); the per-window allotments hold the sum anyway.
 * - A REQUEST_LIMIT_EXCEEDED answer (at most one per cooldown counts, since
 *   the answers to requests already in flight report the same overload) does
 *   two things. It widens the window margin by `marginStepMs`: under a strict
 *   window the likely cause is delay jitter larger than the margin, and a
 *   margin that fits the path costs little; the margin narrows again slowly,
 *   1 ms per `marginDecayMs`, so it follows the path's jitter over minutes.
 *   And, since keys can be shared with clients we do not know about, it cuts
 *   the pace multiplicatively, which then recovers linearly to the full
 *   share: AIMD, as TCP does for the same reason.
 * - `groupSize` g > 1 starts requests g at a time on slots g intervals apart
 *   (when g divides the allotment; otherwise one at a time). Any A+1
 *   consecutive starts still span a whole window, as with single slots, but
 *   the client wakes once per group instead of once per request, which at
 *   20 requests/s is most of what a volunteer's CPU goes to (client.ts,
 *   REQUESTS_PER_WAKEUP, has the figures).
 */
import { type Clock, systemClock, type TimerHandle } from "./clock";

/** Hand back once the request has finished (answered, failed or aborted). */
export type Permit = () => void;

export interface RateLimiterOptions {
  clock?: Clock;
  /** Pace multiplier applied on a rate-limited answer. */
  decreaseFactor?: number;
  /** The pace never drops below this fraction of the share. */
  minFraction?: number;
  /** Fraction of the share regained per second after a cut. */
  recoveryPerSecond?: number;
  /** Rate-limited answers within this long after a cut do not cut again. */
  cooldownMs?: number;
  /** How far behind its slot a waiting request may start to make up for a late timer. */
  maxCatchUpMs?: number;
  /**
   * Added to the one-second window at first: how much more network delay a
   * request may meet than the one sent a second before it. Costs a share of
   * margin/(1000 + margin) of the rate.
   */
  windowMarginMs?: number;
  /** A rate-limited answer widens the margin by this much (a strict window saw two requests closer than we sent them)… */
  marginStepMs?: number;
  /** …up to this… */
  maxWindowMarginMs?: number;
  /** …and it narrows again by 1 ms per this long without one. */
  marginDecayMs?: number;
  /** Requests started together on one slot, the slots that many intervals apart (see above); default 1. */
  groupSize?: number;
}

interface Waiter {
  enqueuedAt: number;
  resolve: (permit: Permit) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** A share turned into what the pacing needs (the window without its margin). */
interface Pace {
  share: number;
  /** Requests allowed in any window of `baseWindowMs` + the margin. */
  allotment: number;
  baseWindowMs: number;
}

/** Start times kept for the hard check at least this long (a decrease may lengthen the window). */
const KEEP_STARTS_MS = 3_000;

export class RateLimiter {
  /** null: no limit; 0: paused. */
  private share: number | null;
  private pace: Pace | null = null;
  private pendingRaise: { share: number; at: number } | null = null;
  private maxConcurrent: number;
  private readonly clock: Clock;
  private readonly decreaseFactor: number;
  private readonly minFraction: number;
  private readonly recoveryPerSecond: number;
  private readonly cooldownMs: number;
  private readonly maxCatchUpMs: number;
  private readonly baseMarginMs: number;
  private readonly marginStepMs: number;
  private readonly maxMarginMs: number;
  private readonly marginDecayMs: number;
  private readonly groupSize: number;
  /** The margin right after the last widening, and when that was. */
  private widenedMarginMs: number;
  private widenedAt = -Infinity;

  private active = 0;
  /** The slot of the last request started (may be a little before its real start, for a late timer). */
  private lastSlot = -Infinity;
  /** Requests started on lastSlot, and how many more may join them there. */
  private slotUsed = 0;
  private slotLeft = 0;
  /** Real start times of recent requests, oldest first: the hard check. */
  private readonly starts: number[] = [];
  private readonly waiters: Waiter[] = [];
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private lastCutAt = -Infinity;
  private fractionAtCut = 1;

  constructor(rps: number | null, maxConcurrent: number, options: RateLimiterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.decreaseFactor = options.decreaseFactor ?? 0.9;
    this.minFraction = options.minFraction ?? 0.25;
    this.recoveryPerSecond = options.recoveryPerSecond ?? 0.05;
    this.cooldownMs = options.cooldownMs ?? 1000;
    this.maxCatchUpMs = options.maxCatchUpMs ?? 50;
    this.baseMarginMs = options.windowMarginMs ?? 5;
    this.marginStepMs = options.marginStepMs ?? 5;
    this.maxMarginMs = options.maxWindowMarginMs ?? 100;
    this.marginDecayMs = options.marginDecayMs ?? 5_000;
    this.groupSize = Math.max(1, Math.floor(options.groupSize ?? 1));
    this.widenedMarginMs = this.baseMarginMs;
    this.maxConcurrent = Math.max(1, Math.floor(maxConcurrent));
    this.share = null;
    this.setShare(normaliseRps(rps));
  }

  /** The server re-split the key's rate or changed the in-flight count. */
  configure(rps: number | null, maxConcurrent: number): void {
    const now = this.clock.now();
    this.maxConcurrent = Math.max(1, Math.floor(maxConcurrent));
    const next = normaliseRps(rps);
    const raise = this.share !== null && this.share > 0 && next !== null && next > this.share;
    if (raise && this.pace) {
      // keep the current share for one more window; a raise already pending keeps its time
      this.pendingRaise = { share: next, at: this.pendingRaise?.at ?? now + this.windowMs(now) };
    } else {
      this.pendingRaise = null;
      this.setShare(next);
    }
    this.slotLeft = 0; // a group was sized for the old share
    this.cancelTimer();
    this.pump();
  }

  /** Requests/s currently allowed (the share after any AIMD cut), or null for no limit. */
  currentRate(): number | null {
    return this.share === null ? null : this.share * this.fraction(this.clock.now());
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Waits for this request's slot; the returned permit must be released when it ends. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    return new Promise<Permit>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter: Waiter = { enqueuedAt: this.clock.now(), resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** The margin added to the one-second window now (ms). */
  currentMarginMs(): number {
    return this.marginMs(this.clock.now());
  }

  /** WG said REQUEST_LIMIT_EXCEEDED. */
  onRateLimited(): void {
    const now = this.clock.now();
    if (now - this.lastCutAt < this.cooldownMs) return;
    this.widenedMarginMs = Math.min(this.maxMarginMs, this.marginMs(now) + this.marginStepMs);
    this.widenedAt = now;
    this.fractionAtCut = Math.max(this.minFraction, this.fraction(now) * this.decreaseFactor);
    this.lastCutAt = now;
  }

  private marginMs(now: number): number {
    const narrowed = this.widenedMarginMs - (now - this.widenedAt) / this.marginDecayMs;
    return Math.max(this.baseMarginMs, narrowed);
  }

  private windowMs(now: number): number {
    return this.pace ? this.pace.baseWindowMs + this.marginMs(now) : 0;
  }

  private setShare(share: number | null): void {
    this.share = share;
    this.pace = paceOf(share);
  }

  private fraction(now: number): number {
    if (this.fractionAtCut >= 1) return 1;
    const regained = (this.recoveryPerSecond * (now - this.lastCutAt)) / 1000;
    const fraction = Math.min(1, this.fractionAtCut + regained);
    if (fraction >= 1) this.fractionAtCut = 1;
    return fraction;
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.active < this.maxConcurrent) {
      const head = this.waiters[0]!;
      const now = this.clock.now();
      if (this.pendingRaise && now >= this.pendingRaise.at) {
        this.setShare(this.pendingRaise.share);
        this.pendingRaise = null;
      }
      if (this.share === 0) return this.scheduleRaise(); // paused until the server grants a rate again
      if (this.pace !== null) {
        const { slot, start, joins } = this.slotFor(head, now);
        if (start > now) return this.scheduleAt(this.pendingRaise ? Math.min(start, this.pendingRaise.at) : start);
        if (joins) {
          this.slotUsed++;
          this.slotLeft--;
        } else {
          // held back a little by the hard check (an earlier start was late): keep the slots where they
          // were, as for a late timer; held back far (a smaller share), the slots move with it
          this.lastSlot = start - slot <= this.maxCatchUpMs ? slot : start;
          this.slotUsed = 1;
          this.slotLeft = groupOf(this.pace, this.groupSize) - 1;
        }
        this.starts.push(now);
        while (this.starts.length > 0 && this.starts[0]! < now - Math.max(KEEP_STARTS_MS, this.windowMs(now))) this.starts.shift();
      }
      this.waiters.shift();
      if (head.onAbort) head.signal!.removeEventListener("abort", head.onAbort);
      this.active++;
      head.resolve(this.permit());
    }
  }

  /**
   * The head request's slot: the last one while its group has room and it
   * is at most maxCatchUpMs old, else one interval (at the current pace) per
   * request started on the last, made up for a late timer by at most
   * maxCatchUpMs, never before it asked (idle time earns no burst). Its
   * start: the slot, or later if the last `allotment` real starts and this
   * one would fit in one window.
   */
  private slotFor(head: Waiter, now: number): { slot: number; start: number; joins: boolean } {
    const pace = this.pace!;
    const margin = this.marginMs(now);
    const joins = this.slotLeft > 0 && this.lastSlot >= now - this.maxCatchUpMs;
    const interval = intervalOf(pace, margin) / this.fraction(now);
    const slot = joins ? this.lastSlot : Math.max(this.lastSlot + this.slotUsed * interval, now - this.maxCatchUpMs, head.enqueuedAt);
    const starts = this.starts;
    const windowOpens = starts.length >= pace.allotment ? starts[starts.length - pace.allotment]! + pace.baseWindowMs + margin : -Infinity;
    return { slot, start: Math.max(slot, windowOpens), joins };
  }

  private scheduleRaise(): void {
    if (this.pendingRaise) this.scheduleAt(this.pendingRaise.at);
  }

  private permit(): Permit {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.pump();
    };
  }

  private scheduleAt(at: number): void {
    if (this.timer !== null && this.timerAt <= at) return;
    this.cancelTimer();
    this.timerAt = at;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - this.clock.now()));
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }
}

/** null or Infinity: no limit; zero or less: paused. */
function normaliseRps(rps: number | null): number | null {
  if (rps === null || rps === Infinity) return null;
  return Number.isFinite(rps) && rps > 0 ? rps : 0;
}

/**
 * A share as an allotment per window: floor(R) per second (plus the margin);
 * below 1 request/s, one request per 1/R seconds.
 */
function paceOf(share: number | null): Pace | null {
  if (share === null || share <= 0) return null;
  const allotment = Math.max(1, Math.floor(share));
  return { share, allotment, baseWindowMs: Math.max(1000, (allotment * 1000) / share) };
}

/** Requests per slot: the largest size up to `groupSize` that divides the allotment, so every window holds whole groups. */
function groupOf(pace: Pace, groupSize: number): number {
  for (let g = Math.min(groupSize, pace.allotment); g > 1; g--) if (pace.allotment % g === 0) return g;
  return 1;
}

/** Slot spacing at the full share: the window, margin included, over the allotment. */
function intervalOf(pace: Pace, marginMs: number): number {
  return (pace.baseWindowMs + marginMs) / pace.allotment;
}
