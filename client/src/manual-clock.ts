/**
 * A Clock that moves only when told to, for deterministic tests and
 * simulations of the rate limiter. `lateness` makes every timer fire that many
 * ms after it was due, as a busy event loop does.
 */
import type { Clock, TimerHandle } from "./clock";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(private readonly lateness: (dueAt: number) => number = () => 0) {}

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const at = this.time + Math.max(0, ms);
    const timer = { id: ++this.seq, at: at + this.lateness(at), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promise callbacks run after each. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await flushPromises();
    while (true) {
      const next = this.earliest();
      if (next === undefined || next.at > until) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.time = Math.max(this.time, next.at);
      next.fn();
      await flushPromises();
    }
    this.time = until;
    await flushPromises();
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.timers) if (!best || timer.at < best.at || (timer.at === best.at && timer.id < best.id)) best = timer;
    return best;
  }
}

export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
