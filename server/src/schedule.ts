/**
 * Scheduled mode (`--serve`): a run each UTC day at `schedule.time`, one
 * after the other, never two at once. Between runs the server keeps serving
 * and connected clients are told what they are waiting for.
 *
 * Time comes from a Clock so tests can run two days in seconds: the system
 * clock in production, a fast-forward clock (waits cut short, time moved on
 * by the rest) in tests.
 */
export const DAY_MS = 86_400_000;

export interface Clock {
  now(): number;
  /** Resolves after ms, or at once when signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Sleeps in steps of at most a minute against Date.now(), so a clock step or a suspend does not shift the run by hours. */
export const systemClock: Clock = {
  now: () => Date.now(),
  async sleep(ms, signal) {
    const until = Date.now() + ms;
    while (!signal.aborted && Date.now() < until) await abortableSleep(Math.min(until - Date.now(), 60_000), signal);
  },
};

/**
 * Starts at `start` and runs at real speed, but a sleep lasts at most
 * `maxRealWaitMs` of real time: the rest is skipped, as if it had passed.
 */
export class FastForwardClock implements Clock {
  private readonly realStart = Date.now();
  private skipped = 0;

  constructor(
    private readonly start: number,
    private maxRealWaitMs: number,
  ) {}

  /** From now on a sleep lasts up to this much real time (Infinity: as long as asked; the demo after its days). */
  setMaxRealWait(ms: number): void {
    this.maxRealWaitMs = ms;
  }

  now(): number {
    return this.start + (Date.now() - this.realStart) + this.skipped;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    const real = Math.min(ms, this.maxRealWaitMs);
    await abortableSleep(real, signal);
    if (!signal.aborted) this.skipped += ms - real;
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The daily start times: `time` ("HH:MM", UTC) on every day. */
export class DailySchedule {
  private readonly offsetMs: number;

  constructor(readonly time: string) {
    const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
    if (!match) throw new Error(`schedule.time: expected "HH:MM" (UTC), got ${JSON.stringify(time)}`);
    this.offsetMs = (Number(match[1]) * 60 + Number(match[2])) * 60_000;
  }

  /** The start time of the run of `date` (YYYY-MM-DD). */
  slotOn(date: string): number {
    return Date.parse(`${date}T00:00:00Z`) + this.offsetMs;
  }

  /** The run date a start time belongs to. */
  dateOf(slot: number): string {
    return new Date(slot - this.offsetMs).toISOString().slice(0, 10);
  }

  /** The latest start time at or before `ms`. */
  latestAtOrBefore(ms: number): number {
    const today = this.slotOn(new Date(ms).toISOString().slice(0, 10));
    return today <= ms ? today : today - DAY_MS;
  }
}

export interface ServeDailyDeps {
  clock: Clock;
  schedule: DailySchedule;
  /** Runs one day to its end; `waitReason` is what clients are told once it is complete. */
  runOne(date: string, waitReason: string): Promise<{ stopped: boolean }>;
  /** No run is going: tell the connected clients why they wait. */
  waiting(reason: string): void;
  log: (line: string) => void;
  /**
   * A fresh signal for each wait between runs; aborting it ends the wait at
   * once (the operator's "run now").
   */
  wake?: () => AbortSignal;
}

const at = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;

/**
 * Runs `firstDate` at once when given, then today's run if its start time
 * has passed, then each day at its start time, until `stop` aborts. A run
 * that ends after the next start time is followed at once by the latest
 * one due; the days in between are skipped (and said), since WG only
 * answers with today's figures.
 */
export async function serveDaily(deps: ServeDailyDeps, firstDate: string | undefined, stop: AbortSignal): Promise<void> {
  const { clock, schedule, log } = deps;
  let lastRunDate: string | undefined;
  const waitReason = (next: number, after = lastRunDate) =>
    `${after ? `run ${after} is complete; ` : ""}the next run (${schedule.dateOf(next)}) starts at ${at(next)}`;
  const run = async (date: string, next: number): Promise<boolean> => {
    const result = await deps.runOne(date, waitReason(next, date));
    lastRunDate = date;
    return !result.stopped && !stop.aborted;
  };

  const startedAt = clock.now();
  let last = schedule.latestAtOrBefore(startedAt);
  if (firstDate !== undefined && !(await run(firstDate, last + DAY_MS))) return;
  const todayStarted = last === schedule.slotOn(new Date(startedAt).toISOString().slice(0, 10));
  if (todayStarted && firstDate !== schedule.dateOf(last)) {
    // Today's start time has passed: run (or resume) today's now.
    if (!(await run(schedule.dateOf(last), last + DAY_MS))) return;
  }
  for (;;) {
    let next = last + DAY_MS;
    const now = clock.now();
    const due = schedule.latestAtOrBefore(now);
    if (due > next) {
      const missed = Math.round((due - next) / DAY_MS);
      log(`the previous run ended after ${at(next)}: skipping ${missed} scheduled run${missed > 1 ? "s" : ""}, starting the run of ${schedule.dateOf(due)} now`);
      next = due;
    }
    if (next > now) {
      const reason = waitReason(next);
      deps.waiting(reason);
      log(`waiting: ${reason}`);
      const wake = deps.wake?.();
      await clock.sleep(next - now, wake ? AbortSignal.any([stop, wake]) : stop);
      if (stop.aborted) return;
      if (wake?.aborted) {
        // Run now: the next run when it belongs to today; otherwise today's own (WG only answers with today's figures).
        const today = new Date(clock.now()).toISOString().slice(0, 10);
        if (today !== schedule.dateOf(next)) {
          log(`run now: the next run (${schedule.dateOf(next)}) is not today's; running today's (${today}) again`);
          if (!(await run(today, next))) return;
          continue;
        }
        log(`run now: starting the run of ${schedule.dateOf(next)} ahead of its start at ${at(next)}`);
      }
    }
    last = next;
    if (!(await run(schedule.dateOf(next), next + DAY_MS))) return;
  }
}
