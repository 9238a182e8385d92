/**
 * The tracker as an object (startTracker): two in one process, each with its
 * own database, simulator, client and metrics; JSON log lines; pause, resume
 * and drain through its controls; /metrics by the Prometheus text rules,
 * agreeing with /api/status.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { DAY1, DAY2 } from "../e2e/crawl-support";
import { startTestClient, startTestTracker, until, type TestTracker } from "../support/trackers";
import { parsePrometheusText, sampleValue } from "../support/prom-text";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { SMALL_RANGES } from "../e2e/crawl-support";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

async function tracked(options: Parameters<typeof startTestTracker>[0]): Promise<TestTracker> {
  const t = await startTestTracker(options);
  cleanups.push(t.cleanup);
  return t;
}

const json = async (url: string) => (await fetch(url)).json() as Promise<any>;

describe("the tracker object", () => {
  test("two trackers in one process crawl their own day into their own database, each with its own figures", async () => {
    const [a, b] = await Promise.all([tracked({ seed: 41, day: DAY1 }), tracked({ seed: 42, day: DAY2 })]);
    expect(a.url).not.toBe(b.url);
    const clientA = startTestClient(a.url, await a.tracker.tokens.add("alice"), "alice-pc");
    const clientB = startTestClient(b.url, await b.tracker.tokens.add("bob"), "bob-pc");
    const [resultA, resultB] = await Promise.all([a.tracker.finished, b.tracker.finished]);
    expect([resultA.code, resultA.outcome, resultB.code, resultB.outcome]).toEqual([0, "complete", 0, "complete"]);
    expect(resultA.runs.map((r) => r.date)).toEqual([DAY1]);
    expect(resultB.runs.map((r) => r.date)).toEqual([DAY2]);
    expect(a.lines.join("\n")).toContain(`run ${DAY1} complete in`);
    expect(b.lines.join("\n")).toContain(`run ${DAY2} complete in`);
    expect((await clientA.exit).reason).toBe("done");
    expect((await clientB.exit).reason).toBe("done");

    const dates = async (t: TestTracker) =>
      [...(await t.db.sql<{ date: string; n: number }[]>`select run_date::text as date, count(*)::int as n from run_batches group by 1`)];
    expect(await dates(a)).toEqual([{ date: DAY1, n: 400 }]);
    expect(await dates(b)).toEqual([{ date: DAY2, n: 400 }]);
    // Each tracker's registry counts its own run only.
    const committed = (text: string) => sampleValue(parsePrometheusText(text), "wotc_batches_committed_total");
    expect(committed(await a.tracker.metrics())).toBe(400);
    expect(committed(await b.tracker.metrics())).toBe(400);
    // Each names only its own volunteer.
    expect(a.tracker.status().volunteers!.map((v) => v.name)).toEqual(["alice-pc"]);
    expect(b.tracker.status().volunteers!.map((v) => v.name)).toEqual(["bob-pc"]);
  }, 90_000);

  test("--log-format json: every line is one JSON object; the summary carries its figures", async () => {
    const t = await tracked({ seed: 43, day: DAY1, tracker: { logFormat: "json" } });
    startTestClient(t.url, await t.tracker.tokens.add("carol"), "carol-pc");
    const result = await t.tracker.finished;
    expect(result.code).toBe(0);
    const records = t.lines.map((line) => JSON.parse(line));
    for (const record of records) expect(Object.keys(record)).toEqual(expect.arrayContaining(["level", "time", "msg"]));
    expect(records.some((r) => /^listening on http:\/\/127\.0\.0\.1:\d+$/.test(r.msg))).toBe(true);
    expect(records.some((r) => /^client carol-pc \(127\.0\.0\.1, token [\w.@-]+\) connected$/.test(r.msg))).toBe(true);
    const summary = records.find((r) => r.event === "run complete");
    expect(summary.date).toBe(DAY1);
    expect(summary.summary.xbox.idsQueried + summary.summary.ps.idsQueried).toBe(40_000);
    expect(summary.msg).toStartWith(`run ${DAY1} complete in`);
  }, 60_000);
});

describe("controls", () => {
  test("pause stops leasing (what is in flight finishes), resume restarts it, drain ends the tracker with 0", async () => {
    // A rate limit keeps the run going long enough to pause it halfway.
    const t = await tracked({ seed: 44, day: DAY1, keyRps: 20 });
    const client = startTestClient(t.url, await t.tracker.tokens.add("dave"), "dave-pc");
    const run = () => t.tracker.status().run!;
    await until(() => t.tracker.status().run?.batches.done ?? 0, (done) => done >= 20, 30_000, "20 batches done");

    expect(await t.tracker.control("pause", undefined, "test")).toEqual({ ok: true, message: "leasing paused" });
    await until(run, (r) => r.batches.leased + r.batches.checking + r.batches.held + r.batches.writing === 0, 20_000, "nothing in flight after pause");
    const doneWhilePaused = run().batches.done;
    await Bun.sleep(1_500);
    expect(run().batches.done).toBe(doneWhilePaused); // nothing new was leased
    expect(client.lines.some((l) => l.includes("leasing is paused by the operator"))).toBe(true);
    expect(t.lines.some((l) => l.endsWith("control: leasing paused; batches in flight are still answered and written (by test)"))).toBe(true);
    expect((await t.tracker.control("pause", undefined, "test")).ok).toBe(false);

    expect(await t.tracker.control("resume", undefined, "test")).toEqual({ ok: true, message: "leasing resumed" });
    await until(run, (r) => r.batches.done > doneWhilePaused + 10, 20_000, "batches done again after resume");

    expect((await t.tracker.control("drain", undefined, "admin token (from 192.0.2.9)")).ok).toBe(true);
    const result = await t.tracker.finished;
    expect(result).toMatchObject({ code: 0, outcome: "drained" });
    expect(t.lines.some((l) => l.includes("control: draining") && l.includes("(by admin token (from 192.0.2.9))"))).toBe(true);
    // Everything answered before the drain is committed; the rest waits for the next start.
    const [{ n }] = await t.db.sql<{ n: number }[]>`select count(*)::int as n from run_batches`;
    expect(n).toBeGreaterThan(doneWhilePaused);
    expect(n).toBeLessThan(400);
    await client.stop();
  }, 90_000);
});

describe("re-crawl a token's batches", () => {
  test("after the operator suspends a token, recrawl has what it answered today crawled again by the other client, and the day still equals the oracle", async () => {
    const t = await tracked({ seed: 46, day: DAY1, keyRps: 40 });
    // The operator's own machines: never checked, so nothing another token confirmed spares a batch from the re-crawl.
    const erin = startTestClient(t.url, await t.tracker.tokens.add("erin", { trusted: true }), "erin-pc");
    const frank = startTestClient(t.url, await t.tracker.tokens.add("frank", { trusted: true }), "frank-pc");
    cleanups.push(async () => void (await Promise.all([erin.stop(), frank.stop()])));
    const answeredBy = async (name: string) => (await t.db.sql<{ n: number }[]>`select count(*)::int as n from run_batches where answered_by = ${name}`)[0]!.n;
    await until(() => answeredBy("erin"), (n) => n >= 30, 30_000, "30 batches committed from erin");

    expect(await t.tracker.control("recrawl", "erin", "test")).toEqual({ ok: false, message: "suspend erin first: while its clients may connect they could be given the same batches again" });
    expect(await t.tracker.control("recrawl", "nobody", "test")).toEqual({ ok: false, message: "no token named nobody" });
    expect((await t.tracker.control("suspend", "erin", "test")).ok).toBe(true);
    expect(t.tracker.status().volunteers!.find((v) => v.name === "erin-pc")?.trust).toBe("suspended");
    const reply = await t.tracker.control("recrawl", "erin", "admin token (from 192.0.2.9)");
    expect(reply.ok).toBe(true);
    const again = Number(reply.message.match(/^(\d+) batch/)?.[1]);
    expect(again).toBeGreaterThanOrEqual(30);
    expect(t.lines.some((l) => l.includes(`control: re-crawl of token erin's batches (by admin token (from 192.0.2.9)); ${again} batches of ${DAY1} crawled again`))).toBe(true);

    const result = await t.tracker.finished; // frank finishes the day and answers erin's batches again
    expect(result).toMatchObject({ code: 0, outcome: "complete" });
    expect(await answeredBy("erin")).toBe(0);
    expect(await answeredBy("frank")).toBe(400);
    const expected = expectedDatabase(t.world, SMALL_RANGES, [DAY1]);
    const actual = await readSnapshot(t.db.sql);
    expect(firstDifferences(actual.players, expected.players)).toEqual([]);
    expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
    expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
    expect(await t.tracker.control("recrawl", "erin", "test")).toMatchObject({ ok: false, message: expect.stringContaining("no run is going") });
  }, 120_000);
});

describe("suspend and reinstate from the console during a run", () => {
  test("a suspended token shows as suspended at once; reinstated, its client gets work again in the same run", async () => {
    const t = await tracked({ seed: 47, day: DAY1, keyRps: 20 });
    const token = await t.tracker.tokens.add("gina", { trusted: true });
    const first = startTestClient(t.url, token, "gina-pc");
    const done = await until(() => t.tracker.status().run?.batches.done ?? 0, (done) => done >= 10, 30_000, "10 batches done");
    // The table is as of the question, not of the dashboard's last once-a-second sample.
    expect(t.tracker.status().volunteers!.find((v) => v.name === "gina-pc")?.batches).toBeGreaterThanOrEqual(done);
    expect((await t.tracker.control("suspend", "gina", "test")).ok).toBe(true);
    expect(t.tracker.status().volunteers!.find((v) => v.name === "gina-pc")?.trust).toBe("suspended");
    expect((await first.exit).code).toBe(1);
    const doneWhileSuspended = t.tracker.status().run!.batches.done;

    expect((await t.tracker.control("reinstate", "gina", "test")).ok).toBe(true);
    const again = startTestClient(t.url, token, "gina-pc-2");
    cleanups.push(async () => void (await again.stop()));
    await until(() => t.tracker.status().run!.batches.done, (done) => done > doneWhileSuspended + 10, 30_000, "batches done again after the reinstatement");
    expect(t.tracker.status().volunteers!.find((v) => v.name === "gina-pc-2")?.batches ?? 0).toBeGreaterThan(0);
    expect((await t.tracker.finished).code).toBe(0);
  }, 120_000);
});

describe("/metrics", () => {
  test("parses by the Prometheus text rules, counters end in _total, and its numbers match /api/status", async () => {
    const t = await tracked({ seed: 45, day: DAY1, tracker: { version: "1.2.3-test" } });
    startTestClient(t.url, await t.tracker.tokens.add("erin"), "erin-pc");
    await until(() => json(`${t.url}/api/status`), (s) => s.run?.state === "complete", 60_000, "the run to complete");
    const status = await json(`${t.url}/api/status`);
    const response = await fetch(`${t.url}/metrics`);
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await response.text();
    const families = parsePrometheusText(text);
    for (const family of families.values()) {
      if (family.type === "counter") expect(family.name).toEndWith("_total");
      expect(family.help).toBeTruthy();
      // No label names a person or a place.
      for (const sample of family.samples) for (const label of Object.keys(sample.labels)) expect(["state", "reason", "kind", "version"]).toContain(label);
    }
    const value = (name: string, labels?: Record<string, string>) => sampleValue(families, name, labels);
    expect(value("wotc_info", { version: "1.2.3-test" })).toBe(1);
    for (const state of ["queued", "leased", "writing"] as const) expect(value("wotc_run_batches", { state })).toBe(status.run.batches[state]);
    expect(value("wotc_run_batches", { state: "committed" })).toBe(status.run.batches.done);
    expect(value("wotc_batches_committed_total")).toBe(status.run.batches.total);
    expect(value("wotc_ids_queried_total")).toBe(40_000);
    expect(value("wotc_clients_connected")).toBe(status.clientsConnected);
    expect(value("wotc_invalid_messages_total")).toBe(status.errors.invalidMessages);
    const refused = [...families.get("wotc_results_refused_total")!.samples].reduce((sum, s) => sum + s.value, 0);
    expect(refused).toBe(status.errors.refusedResults);
    expect(value("wotc_db_errors_total", { kind: "write_retry" })).toBe(status.errors.dbRetries);
    const [{ found }] = await t.db.sql<{ found: number }[]>`select sum(found)::int as found from run_batches`;
    expect(value("wotc_players_written_total")).toBe(found);
    await t.tracker.finished;
    // The figure operators alert on: when the last complete run ended.
    const [{ finished }] = await t.db.sql<{ finished: Date }[]>`select finished_at as finished from runs`;
    const after = parsePrometheusText(await t.tracker.metrics());
    expect(sampleValue(after, "wotc_last_complete_run_timestamp_seconds")).toBeCloseTo(finished.getTime() / 1000, 0);
  }, 60_000);
});

describe("bun run server ctl", () => {
  test("pause and resume from another shell reach the running tracker with the admin token from its data dir, and say who did it", async () => {
    const { spawnProc, ROOT } = await import("../support/processes");
    const { join } = await import("node:path");
    const t = await tracked({ seed: 46, day: DAY1, keyRps: 5 });
    // The operator's shell: the same config file (dataDir, hence data/admin.token) and --url for the port chosen at start.
    const configPath = join(t.dir, "server.json");
    await Bun.write(configPath, JSON.stringify({ server: { dataDir: join(t.dir, "data") }, wg: { keys: [{ applicationId: "k", rps: 1, clients: ["*"] }] }, ranges: { xbox: { min: 5000, max: 6000 }, ps: { min: 1073740000, max: 1073741000 } } }));
    const ctl = async (...args: string[]) => {
      const proc = spawnProc(["bun", join(ROOT, "server/src/main.ts"), "--config", configPath, "ctl", ...args, "--url", t.url]);
      return { code: await proc.exited, out: proc.output().trim() };
    };
    expect(await ctl("pause")).toEqual({ code: 0, out: "leasing paused" });
    expect(t.tracker.status().leasing).toMatchObject({ state: "paused", by: "admin token (from 127.0.0.1)" });
    expect(await ctl("pause")).toEqual({ code: 1, out: "leasing is already paused" });
    expect(await ctl("run-now")).toEqual({ code: 1, out: "run now is for scheduled mode (--serve); this tracker runs one day and stops" });
    expect(await ctl("resume")).toEqual({ code: 0, out: "leasing resumed" });
    expect(t.lines.some((l) => l.endsWith("control: leasing resumed (by admin token (from 127.0.0.1))"))).toBe(true);
    const usage = await ctl("suspend");
    expect(usage.code).toBe(2);
    expect(usage.out).toContain("ctl suspend takes a token NAME");
  }, 60_000);
});

describe("run now (scheduled mode)", () => {
  test("ends the wait for today's run at once; while a run is going it is refused", async () => {
    const { FastForwardClock } = await import("../../server/src/schedule");
    // 00:05 with the run at 00:30 and waits at real speed: without run now, nothing would start for 25 minutes.
    const clock = new FastForwardClock(Date.parse(`${DAY1}T00:05:00Z`), 60 * 60_000);
    const t = await tracked({ seed: 47, day: DAY1, tracker: { serve: true, date: undefined, clock } });
    await until(() => t.tracker.status().phase, (p) => p === "waiting", 10_000, "the schedule to wait");
    expect(t.tracker.status().waiting).toBe(`the next run (${DAY1}) starts at ${DAY1} 00:30 UTC`);
    expect(await t.tracker.control("run-now", undefined, "test")).toEqual({ ok: true, message: "starting the next run now" });
    await t.waitForLine(new RegExp(`run now: starting the run of ${DAY1} ahead of its start at ${DAY1} 00:30 UTC`), 5_000);
    await t.waitForLine(new RegExp(`starting run ${DAY1}`), 10_000);
    await until(() => t.tracker.status().phase, (p) => p === "crawling", 10_000, "the run to crawl");
    expect((await t.tracker.control("run-now", undefined, "test")).message).toBe(`run ${DAY1} is going already`);
  }, 60_000);
});
