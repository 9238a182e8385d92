/** Scheduled mode's timing, on a manual clock: when runs start, that they never overlap, what waiting clients are told. */
import { describe, expect, test } from "bun:test";
import { DAY_MS, DailySchedule, FastForwardClock, serveDaily, type Clock } from "../../server/src/schedule";

/** Time moves only when someone sleeps (or a fake run takes time). */
class ManualClock implements Clock {
  constructor(public time: number) {}
  now() {
    return this.time;
  }
  async sleep(ms: number, signal: AbortSignal) {
    if (!signal.aborted) this.time += ms;
    await Promise.resolve();
  }
}

const t = (iso: string) => Date.parse(iso);

/** Runs serveDaily until `runs` runs have started; each run takes `durations[i]` ms of clock time. */
async function simulate(startIso: string, options: { time?: string; firstDate?: string; runs: number; durations?: number[] }) {
  const clock = new ManualClock(t(startIso));
  const stop = new AbortController();
  const events: string[] = [];
  let running = 0;
  let maxRunning = 0;
  await serveDaily(
    {
      clock,
      schedule: new DailySchedule(options.time ?? "06:00"),
      log: () => {},
      waiting: (reason) => events.push(`wait: ${reason}`),
      async runOne(date, waitReason) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const index = events.filter((e) => e.startsWith("run")).length;
        events.push(`run ${date} at ${new Date(clock.now()).toISOString().slice(0, 16)}`);
        await clock.sleep(options.durations?.[index] ?? 3_600_000, stop.signal);
        events.push(`done: ${waitReason}`);
        running--;
        if (index + 1 >= options.runs) stop.abort();
        return { stopped: false };
      },
    },
    options.firstDate,
    stop.signal,
  );
  return { events, maxRunning };
}

describe("DailySchedule", () => {
  const schedule = new DailySchedule("06:30");
  test("start times are the configured UTC time of each day", () => {
    expect(new Date(schedule.slotOn("2026-03-01")).toISOString()).toBe("2026-03-01T06:30:00.000Z");
    expect(schedule.dateOf(t("2026-03-01T06:30:00Z"))).toBe("2026-03-01");
    expect(new Date(schedule.latestAtOrBefore(t("2026-03-01T06:29:59Z"))).toISOString()).toBe("2026-02-28T06:30:00.000Z");
    expect(new Date(schedule.latestAtOrBefore(t("2026-03-01T06:30:00Z"))).toISOString()).toBe("2026-03-01T06:30:00.000Z");
  });
  test("a malformed time is refused with what was expected", () => {
    expect(() => new DailySchedule("6:30")).toThrow('schedule.time: expected "HH:MM" (UTC), got "6:30"');
  });
});

describe("serveDaily", () => {
  test("started before today's time: waits for it, then runs each day at that time", async () => {
    const { events } = await simulate("2026-03-01T05:00:00Z", { runs: 2 });
    expect(events).toEqual([
      "wait: the next run (2026-03-01) starts at 2026-03-01 06:00 UTC",
      "run 2026-03-01 at 2026-03-01T06:00",
      "done: run 2026-03-01 is complete; the next run (2026-03-02) starts at 2026-03-02 06:00 UTC",
      "wait: run 2026-03-01 is complete; the next run (2026-03-02) starts at 2026-03-02 06:00 UTC",
      "run 2026-03-02 at 2026-03-02T06:00",
      "done: run 2026-03-02 is complete; the next run (2026-03-03) starts at 2026-03-03 06:00 UTC",
    ]);
  });

  test("started after today's time: today's run starts at once", async () => {
    const { events } = await simulate("2026-03-01T09:15:00Z", { runs: 2 });
    expect(events.filter((e) => e.startsWith("run"))).toEqual(["run 2026-03-01 at 2026-03-01T09:15", "run 2026-03-02 at 2026-03-02T06:00"]);
  });

  test("--date: that day first, then the schedule", async () => {
    const { events } = await simulate("2026-03-01T05:00:00Z", { firstDate: "2026-02-20", runs: 2 });
    expect(events.filter((e) => e.startsWith("run"))).toEqual(["run 2026-02-20 at 2026-03-01T05:00", "run 2026-03-01 at 2026-03-01T06:00"]);
  });

  test("a run longer than a day: the next starts only when it ends, and days it overran are skipped", async () => {
    const { events, maxRunning } = await simulate("2026-03-01T06:00:00Z", { runs: 3, durations: [DAY_MS + 3_600_000, 2.5 * DAY_MS, 60_000] });
    expect(maxRunning).toBe(1);
    expect(events.filter((e) => e.startsWith("run"))).toEqual([
      "run 2026-03-01 at 2026-03-01T06:00",
      "run 2026-03-02 at 2026-03-02T07:00", // late by an hour: started when the first ended
      "run 2026-03-04 at 2026-03-04T19:00", // 03-03 passed while run 2 was going: skipped
    ]);
  });
});

test("FastForwardClock: a long sleep takes at most the real cap, and the clock moves on by all of it", async () => {
  const clock = new FastForwardClock(t("2026-03-01T05:59:00Z"), 20);
  const started = performance.now();
  await clock.sleep(DAY_MS, new AbortController().signal);
  expect(performance.now() - started).toBeLessThan(1_000);
  expect(clock.now() - t("2026-03-02T05:59:00Z")).toBeGreaterThanOrEqual(0);
  expect(clock.now() - t("2026-03-02T05:59:00Z")).toBeLessThan(1_000);
});
