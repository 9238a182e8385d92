/**
 * The console's small parts without a tracker: the event ring, which log
 * lines are events, the chart's bounded series, the volunteer tally across
 * reconnects and days, the refusal reasons, the admin check's Host rule and
 * the cross-site guard.
 */
import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { EventRing } from "../../server/src/events/event-ring";
import { classifyLine } from "../../server/src/events/classify-line";
import { RunSeries } from "../../server/src/tracker/run-series";
import { VolunteerTally } from "../../server/src/tracker/volunteer-tally";
import { refusalReason } from "../../server/src/metrics/refusal-reason";
import { isLoopbackHost } from "../../server/src/routes/viewer";
import { sameOriginOnly } from "../../server/src/routes/same-origin";
import { createLogSink } from "../../server/src/log/log-sink";
import type { ClientSession } from "../../server/src/ws/client-session";

describe("event ring", () => {
  test("keeps the newest events first, folds repeats into a count, and never holds more than its capacity", () => {
    const ring = new EventRing(3);
    ring.add("connect", "a connected");
    for (let i = 0; i < 500; i++) ring.add("refused", "result refused from x: batch 7 is not leased to you");
    ring.add("disconnect", "a left");
    ring.add("run", "run done");
    const latest = ring.latest();
    expect(latest.map((e) => [e.kind, e.count])).toEqual([["run", 1], ["disconnect", 1], ["refused", 500]]);
  });

  test("the lines the hub, crawl and access code log become events; progress and start-up lines do not", () => {
    expect(classifyLine("client alice (127.0.0.1) connected")).toBe("connect");
    expect(classifyLine("client alice (127.0.0.1) disconnected: socket closed (1000)")).toBe("disconnect");
    expect(classifyLine("client rogue (10.0.0.1) dropped: 21 bad messages in a minute, last: x")).toBe("refused");
    expect(classifyLine("database write failed (connect ECONNREFUSED); retrying, leasing paused")).toBe("database");
    expect(classifyLine("database writes are back; leasing resumes")).toBe("recovery");
    expect(classifyLine("control: leasing paused (by 127.0.0.1 (loopback))")).toBe("control");
    expect(classifyLine("[2026-03-01] 1/400 batches | DATABASE: down")).toBeUndefined();
    expect(classifyLine("database ready (embedded): migrations applied")).toBeUndefined();
  });
});

test("the run's series stays within its capacity by merging neighbours, first and last kept", () => {
  const series = new RunSeries(10);
  for (let t = 0; t < 1000; t++) series.add({ t, idsPerSecond: 100, batchesDone: t });
  const { t, idsPerSecond, batchesDone } = series.columns();
  expect(t.length).toBeLessThanOrEqual(11); // the kept points and the newest sample
  expect(t.length).toBeGreaterThan(3);
  expect(idsPerSecond.every((v) => v === 100)).toBe(true);
  expect([t[0], t.at(-1), batchesDone.at(-1)]).toEqual([expect.any(Number), 999, 999]); // the right end is now
});

function session(name: string, fields: Partial<ClientSession> = {}): ClientSession {
  return { name, tokenName: name, address: "192.0.2.1", keyIndex: 0, rps: 5, connectedAt: 1_000, batchesAccepted: 0, idsAccepted: 0, invalidMessages: 0, refusedResults: 0, stats: undefined, summary: () => ({}), ...fields } as ClientSession;
}

describe("volunteer tally", () => {
  test("a volunteer who reconnects keeps the day's batches; its client's retries are not counted twice; a new day starts at zero", () => {
    const tally = new VolunteerTally(() => 10, () => 5_000);
    const first = session("alice");
    tally.observe("2026-03-01", [first]);
    Object.assign(first, { batchesAccepted: 30, idsAccepted: 3_000, stats: { retries: 4, rateLimited: 1 } as never });
    tally.observe("2026-03-01", [first]);
    tally.observe("2026-03-01", []); // gone
    const second = session("alice");
    tally.observe("2026-03-01", [second]);
    // The client program reports its own totals since it started: 4 retries before, 2 since.
    Object.assign(second, { batchesAccepted: 10, idsAccepted: 1_000, stats: { retries: 4, rateLimited: 1 } as never });
    tally.observe("2026-03-01", [second]);
    Object.assign(second, { stats: { retries: 6, rateLimited: 1 } as never });
    tally.observe("2026-03-01", [second]);
    const [row] = tally.rows([second]);
    expect(row).toMatchObject({ name: "alice", batches: 40, ids: 4_000, retries: 6, connected: true, rps: 5, rateShare: 0.5 });
    expect(tally.lifetime).toMatchObject({ batches: 40, ids: 4_000, retries: 6 });

    Object.assign(second, { batchesAccepted: 15, idsAccepted: 1_500 });
    tally.observe("2026-03-02", [second]);
    expect(tally.rows([second])[0]).toMatchObject({ batches: 0, ids: 0 });
    expect(tally.lifetime.batches).toBe(45);
    expect(tally.leaderboard()).toEqual([{ name: "alice", batches: 45, ids: 4_500, days: 1, lastDate: "2026-03-01" }]);
  });
});

test("refused results are labelled by a fixed set of reasons, never by their text", () => {
  expect(refusalReason("batch 7 is not leased to you")).toBe("not_leased");
  expect(refusalReason("batch 7 was already answered")).toBe("already_answered");
  expect(refusalReason("batch 7 result has account 12 outside [100, 200)")).toBe("outside_batch");
  expect(refusalReason("batch 7 result has account 150 twice")).toBe("duplicate_account");
  expect(refusalReason("batch 7 result, account 150: battles 3000000000 is over 2147483647")).toBe("unstorable");
  expect(refusalReason("something new from verification")).toBe("other");
});

test("loopback counts as admin only when the Host header names this machine (not a re-pointed domain)", () => {
  for (const host of ["127.0.0.1:8888", "localhost:8888", "[::1]:8888", "LOCALHOST", "127.0.0.2"]) expect(isLoopbackHost(host)).toBe(true);
  for (const host of ["evil.example:8888", "tracker.example.org", "10.0.0.1:8888", undefined]) expect(isLoopbackHost(host)).toBe(false);
});

describe("the cross-site guard on controls", () => {
  const app = new Hono().post("/x", sameOriginOnly, (c) => c.json({ ok: true }));
  const post = (headers: Record<string, string>) => app.request("http://t.example:8888/x", { method: "POST", headers: { host: "t.example:8888", ...headers } });

  test("needs the custom header, and refuses another site's Origin or Sec-Fetch-Site", async () => {
    expect((await post({})).status).toBe(403);
    expect((await post({ "x-wotc-control": "1" })).status).toBe(200);
    expect((await post({ "x-wotc-control": "1", origin: "http://t.example:8888", "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect((await post({ "x-wotc-control": "1", origin: "http://evil.example" })).status).toBe(403);
    expect((await post({ "x-wotc-control": "1", "sec-fetch-site": "cross-site" })).status).toBe(403);
  });
});

test("text log lines start with the UTC time; json lines are objects with level, time and msg", () => {
  const lines: string[] = [];
  const at = () => new Date("2026-03-01T12:34:56.789Z");
  createLogSink("text", (l) => lines.push(l), at).log("hello");
  const json = createLogSink("json", (l) => lines.push(l), at);
  json.log("WARNING: config.wg.keys.0.applicationId is still the placeholder");
  json.report("run 2026-03-01 complete in 5s\n  errors: none", { date: "2026-03-01" });
  expect(lines[0]).toBe("12:34:56 hello");
  expect(JSON.parse(lines[1]!)).toEqual({ level: "warn", time: "2026-03-01T12:34:56.789Z", msg: "WARNING: config.wg.keys.0.applicationId is still the placeholder" });
  expect(JSON.parse(lines[2]!)).toMatchObject({ level: "info", msg: "run 2026-03-01 complete in 5s", date: "2026-03-01", text: "run 2026-03-01 complete in 5s\n  errors: none" });
});
