/**
 * Paces WG requests: at R requests/s each request starts on its own slot, 1/R
 * after the previous one (a steady stream, never a burst), and at most
 * `maxConcurrent` requests run at once. With `rps: null` only the concurrency
 * bound applies; with `rps: 0` nothing starts until the rate is raised.
 *
 * WG answers REQUEST_LIMIT_EXCEEDED when a key's token bucket runs dry. Keys
 * can be shared with clients we do not know about, so such an answer cuts the
 * pace multiplicatively (at most once per cooldown, since the answers to
 * requests already in flight report the same overload) and the pace then
 * recovers linearly to the full share: AIMD, as TCP does for the same reason.
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
  /**
   * How far behind schedule a waiting request may be started to make up for
   * a late timer. Bounded so the catch-up never exceeds what a WG bucket of
   * capacity R absorbs (see catchUpMs()).
   */
  maxCatchUpMs?: number;
}

interface Waiter {
  enqueuedAt: number;
  resolve: (permit: Permit) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class RateLimiter {
  private share: number | null;
  private maxConcurrent: number;
  private readonly clock: Clock;
  private readonly decreaseFactor: number;
  private readonly minFraction: number;
  private readonly recoveryPerSecond: number;
  private readonly cooldownMs: number;
  private readonly maxCatchUpMs: number;

  private active = 0;
  /** When the last request was (notionally) started; the next slot is one interval later at the current pace. */
  private lastStart = -Infinity;
  private readonly waiters: Waiter[] = [];
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private lastCutAt = -Infinity;
  private fractionAtCut = 1;

  constructor(rps: number | null, maxConcurrent: number, options: RateLimiterOptions = {}) {
    this.share = normaliseRps(rps);
    this.maxConcurrent = Math.max(1, Math.floor(maxConcurrent));
    this.clock = options.clock ?? systemClock;
    this.decreaseFactor = options.decreaseFactor ?? 0.9;
    this.minFraction = options.minFraction ?? 0.25;
    this.recoveryPerSecond = options.recoveryPerSecond ?? 0.05;
    this.cooldownMs = options.cooldownMs ?? 1000;
    this.maxCatchUpMs = options.maxCatchUpMs ?? 50;
  }

  /** The server re-split the key's rate or changed the in-flight count. */
  configure(rps: number | null, maxConcurrent: number): void {
    this.share = normaliseRps(rps);
    this.maxConcurrent = Math.max(1, Math.floor(maxConcurrent));
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

  /** WG said REQUEST_LIMIT_EXCEEDED. */
  onRateLimited(): void {
    const now = this.clock.now();
    if (now - this.lastCutAt < this.cooldownMs) return;
    this.fractionAtCut = Math.max(this.minFraction, this.fraction(now) * this.decreaseFactor);
    this.lastCutAt = now;
  }

  private fraction(now: number): number {
    if (this.fractionAtCut >= 1) return 1;
    const regained = (this.recoveryPerSecond * (now - this.lastCutAt)) / 1000;
    const fraction = Math.min(1, this.fractionAtCut + regained);
    if (fraction >= 1) this.fractionAtCut = 1;
    return fraction;
  }

  /**
   * A bucket of capacity R tokens absorbs R-1 extra requests, so a client at a
   * share below 2/s gets no catch-up at all; above, at most maxCatchUpMs.
   */
  private catchUpMs(rate: number): number {
    return Math.max(0, Math.min(this.maxCatchUpMs, ((rate - 1) * 1000) / rate));
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.active < this.maxConcurrent) {
      const head = this.waiters[0];
      if (this.share === 0) return; // paused until the server grants a rate again
      if (this.share !== null) {
        const now = this.clock.now();
        const rate = this.share * this.fraction(now);
        // A request is never credited with a slot before it asked: idle time
        // earns no burst, only a late timer is made up for.
        const start = Math.max(this.lastStart + 1000 / rate, now - this.catchUpMs(rate), head.enqueuedAt);
        if (start > now) return this.scheduleAt(start);
        this.lastStart = start;
      }
      this.waiters.shift();
      if (head.onAbort) head.signal!.removeEventListener("abort", head.onAbort);
      this.active++;
      head.resolve(this.permit());
    }
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
