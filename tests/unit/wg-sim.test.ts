/**
 * The WG API simulator answers like WG (shared/reference/wg-api.md §8): checked
 * over real HTTP, the way a client sees it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { WG_FIELDS } from "@wotc/schema/player";
import { WgAccountInfoEnvelope } from "@wotc/schema/wg";
import { wgPlayerRow } from "@wotc/schema/player-code";
import * as v from "valibot";
import { playerOn } from "../support/wg-sim/model.ts";
import { createLimiter } from "../support/wg-sim/rate-limit.ts";
import { type RunningSimulator, startSimulator } from "../support/wg-sim/server.ts";
import { Simulator } from "../support/wg-sim/simulator.ts";

const KEY = "test-key";
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i).join(",");

async function get(sim: RunningSimulator, params: Record<string, string>, path = "account/info/") {
  const response = await fetch(`${sim.url}${path}?${new URLSearchParams(params)}`);
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

async function getJson(sim: RunningSimulator, params: Record<string, string>, path?: string) {
  const answer = await get(sim, params, path);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.text);
}

describe("account/info", () => {
  let sim: RunningSimulator;
  beforeAll(() => {
    sim = startSimulator({ seed: 7, day: "2026-01-03", keys: [KEY, { applicationId: "limited-key", rps: 1 }] });
  }, 60_000);
  afterAll(() => sim.stop(), 60_000);

  test("the base URL ends in /wotx/ and the CLI-visible key list is the configured one", () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wotx\/$/);
    expect(sim.keys).toEqual([KEY, "limited-key"]);
  });

  test("answers 100 IDs with string keys, nulls for missing accounts and count including the nulls", async () => {
    const body = await getJson(sim, { application_id: KEY, account_id: ids(5000, 100) });
    expect(body.status).toBe("ok");
    expect(Object.keys(body.data)).toEqual(ids(5000, 100).split(","));
    expect(body.meta.count).toBe(100);
    const nulls = Object.values(body.data).filter((p) => p === null).length;
    expect(nulls).toBeGreaterThan(20);
    expect(nulls).toBeLessThan(80);
    // what the client checks: the envelope, then every entry null or a player it can encode
    expect(v.safeParse(WgAccountInfoEnvelope, body).success).toBe(true);
    expect(Object.values(body.data).filter((p) => p !== null && wgPlayerRow(p) === undefined)).toEqual([]);
  });

  test("an ID asked twice is answered once", async () => {
    const body = await getJson(sim, { application_id: KEY, account_id: "5002,5002,999999999" });
    expect(body.meta.count).toBe(2);
    expect(Object.keys(body.data)).toEqual(["5002", "999999999"]);
    expect(body.data["999999999"]).toBeNull();
  });

  test("the answer is the model's player object", async () => {
    const body = await getJson(sim, { application_id: KEY, account_id: "5002" });
    expect(body.data["5002"]).toEqual(playerOn(sim.simulator.world, 5002, "2026-01-03"));
    const p = body.data["5002"];
    expect(p.private).toBeNull();
    expect(p.statistics.company).toBeNull();
    expect(Object.keys(p.statistics.all)).toHaveLength(13);
    expect(p.statistics.max_damage).toBeNumber(); // extras sit directly under statistics on wotx
  });

  test("the crawler's field list gives exactly those fields", async () => {
    const body = await getJson(sim, { application_id: KEY, account_id: ids(5000, 20), fields: WG_FIELDS.join(",") });
    const player = Object.values(body.data).find((p) => p !== null) as Record<string, any>;
    expect(Object.keys(player).sort()).toEqual(["account_id", "created_at", "last_battle_time", "nickname", "statistics", "updated_at"]);
    expect(Object.keys(player.statistics)).toEqual(["all"]);
    expect(Object.keys(player.statistics.all).sort()).toEqual(
      ["battles", "damage_dealt", "dropped_capture_points", "frags", "spotted", "wins"],
    );
  });

  test("fields: a dot path selects a sub-tree, a leading '-' removes one", async () => {
    const only = await getJson(sim, { application_id: KEY, account_id: "5002", fields: "statistics.all,nickname,-statistics.all.xp" });
    expect(Object.keys(only.data["5002"])).toEqual(["nickname", "statistics"]);
    expect(Object.keys(only.data["5002"].statistics)).toEqual(["all"]);
    expect(only.data["5002"].statistics.all.xp).toBeUndefined();
    expect(Object.keys(only.data["5002"].statistics.all)).toHaveLength(12);

    const without = await getJson(sim, { application_id: KEY, account_id: "5002", fields: "-statistics,-private" });
    expect(Object.keys(without.data["5002"])).toEqual(["account_id", "nickname", "created_at", "last_battle_time", "updated_at", "global_rating"]);

    const ownerOnly = await getJson(sim, { application_id: KEY, account_id: "5002", fields: "statistics.company.battles,account_id" });
    expect(ownerOnly.data["5002"]).toEqual({ account_id: 5002, statistics: { company: null } });
  });

  test("a POST form body is read like the query string", async () => {
    const form = new URLSearchParams({ application_id: KEY, account_id: "5002,5003", fields: "account_id" });
    const response = await fetch(`${sim.url}account/info/`, { method: "POST", body: form });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", meta: { count: 2 }, data: { "5002": { account_id: 5002 }, "5003": { account_id: 5003 } } });

    const multipart = new FormData();
    multipart.set("application_id", KEY);
    multipart.set("account_id", "5002");
    multipart.set("fields", "account_id");
    const viaMultipart = await fetch(`${sim.url}account/info/`, { method: "POST", body: multipart });
    expect(((await viaMultipart.json()) as any).data).toEqual({ "5002": { account_id: 5002 } });
  });

  const error = (code: number, message: string, field: string | null = null, value: string | null = null) => ({
    status: "error",
    error: { code, message, field, value },
  });

  test("each error comes at HTTP 200, checked in WG's order", async () => {
    const tooMany = ids(5000, 101);
    const cases: [Record<string, string>, unknown][] = [
      [{ account_id: "x", fields: "nope" }, error(402, "APPLICATION_ID_NOT_SPECIFIED", "application_id")],
      [{ application_id: "", account_id: "5000" }, error(402, "APPLICATION_ID_NOT_SPECIFIED", "application_id")],
      [{ application_id: "wrong", account_id: tooMany }, error(407, "INVALID_APPLICATION_ID", "application_id", "wrong")],
      [{ application_id: KEY, fields: "nope" }, error(402, "ACCOUNT_ID_NOT_SPECIFIED", "account_id")],
      [{ application_id: KEY, account_id: `${tooMany},x`, fields: "nope" }, error(407, "ACCOUNT_ID_LIST_LIMIT_EXCEEDED", "account_id")],
      [{ application_id: KEY, account_id: "5000,-123", fields: "nope" }, error(407, "INVALID_ACCOUNT_ID", "account_id", "5000,-123")],
      [{ application_id: KEY, account_id: "0" }, error(407, "INVALID_ACCOUNT_ID", "account_id", "0")],
      [{ application_id: KEY, account_id: "12ab" }, error(407, "INVALID_ACCOUNT_ID", "account_id", "12ab")],
      [{ application_id: KEY, account_id: "5000", fields: "nickname,statistics.all.draws" }, error(407, "INVALID_FIELDS", "fields", "nickname,statistics.all.draws")],
      [{ application_id: KEY, account_id: "5000", language: "xx" }, error(407, "INVALID_LANGUAGE", "language", "xx")],
    ];
    for (const [params, expected] of cases) expect([params, await getJson(sim, params)]).toEqual([params, expected]);
  });

  test("the rate check comes after the key check and before the parameters", async () => {
    await getJson(sim, { application_id: "limited-key", account_id: "5000" }); // spends the one-request burst
    expect(await getJson(sim, { application_id: "limited-key" })).toEqual(error(407, "REQUEST_LIMIT_EXCEEDED", "application_id"));
  });

  test("an unknown method, or the path without its trailing slash, is METHOD_NOT_FOUND", async () => {
    const notFound = error(404, "METHOD_NOT_FOUND");
    expect(await getJson(sim, { application_id: KEY, account_id: "5000" }, "account/tanks/")).toEqual(notFound);
    expect(await getJson(sim, { application_id: KEY, account_id: "5000" }, "account/info")).toEqual(notFound);
  });

  test("stats count requests, ok answers, errors and the start ID of every ok answer", async () => {
    sim.resetStats();
    await getJson(sim, { application_id: KEY, account_id: ids(5000, 100) });
    await getJson(sim, { application_id: KEY, account_id: ids(5000, 100) });
    await getJson(sim, { application_id: KEY, account_id: ids(5100, 100) });
    await getJson(sim, { application_id: "wrong", account_id: "5000" });
    const stats = sim.stats();
    expect(stats.requests).toBe(4);
    expect(stats.ok).toBe(3);
    expect(stats.idsAnswered).toBe(300);
    expect(stats.errors).toEqual({ INVALID_APPLICATION_ID: 1 });
    expect([...stats.okByStartId]).toEqual([
      [5000, 2],
      [5100, 1],
    ]);
  });

  test("setDay changes what is served", async () => {
    const before = await getJson(sim, { application_id: KEY, account_id: ids(5000, 100), fields: "statistics.all.battles" });
    sim.setDay("2026-03-01");
    const after = await getJson(sim, { application_id: KEY, account_id: ids(5000, 100), fields: "statistics.all.battles" });
    sim.setDay("2026-01-03");
    const battles = (body: any) => Object.values(body.data).map((p: any) => p?.statistics.all.battles ?? null);
    expect(battles(after)).not.toEqual(battles(before));
    expect(() => sim.setDay("2025-12-31")).toThrow(/before the world's epoch/);
  });
});

describe("the same seed and day give the same bytes", () => {
  test("two simulators answer identically; another seed answers differently", async () => {
    const a = startSimulator({ seed: 3, day: "2026-02-10" });
    const b = startSimulator({ seed: 3, day: "2026-02-10" });
    const c = startSimulator({ seed: 4, day: "2026-02-10" });
    try {
      const params = { application_id: "demo-key", account_id: ids(1_080_000_000, 100) };
      const [ta, tb, tc] = await Promise.all([a, b, c].map(async (s) => (await get(s, params)).text));
      expect(ta).toBe(tb);
      expect(tc).not.toBe(ta);
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });
});

describe("rate limit", () => {
  test("a burst beyond rps is answered REQUEST_LIMIT_EXCEEDED at HTTP 200; a paced client is never refused", async () => {
    const sim = startSimulator({ rps: 20 });
    try {
      const params = { application_id: "demo-key", account_id: "5000" };
      const burst = await Promise.all(Array.from({ length: 30 }, () => get(sim, params)));
      expect(burst.every((a) => a.status === 200)).toBe(true);
      const limited = burst.filter((a) => JSON.parse(a.text).error?.message === "REQUEST_LIMIT_EXCEEDED").length;
      expect(limited).toBeGreaterThanOrEqual(8);
      expect(limited).toBeLessThanOrEqual(10);
      expect(sim.stats().rateLimited).toBe(limited);

      await Bun.sleep(1_000); // refill
      sim.resetStats();
      for (let i = 0; i < 15; i++) {
        expect(JSON.parse((await get(sim, params)).text).status).toBe("ok");
        await Bun.sleep(55); // ~18 requests/s
      }
      expect(sim.stats().rateLimited).toBe(0);
    } finally {
      await sim.stop();
    }
  });
});

describe("rate limit readings", () => {
  /** Which of the requests at these times (ms) the limiter lets through. */
  const admitted = (kind: "token-bucket" | "sliding-window", rps: number, times: number[]) => {
    const limiter = createLimiter(kind, rps, 0);
    return times.map((t) => limiter.take(t));
  };

  test("after a pause both let a second's worth through at once, and nothing more", () => {
    const burst = Array.from({ length: 12 }, () => 5_000);
    for (const kind of ["token-bucket", "sliding-window"] as const) {
      expect({ kind, admitted: admitted(kind, 10, burst).filter(Boolean).length }).toEqual({ kind, admitted: 10 });
    }
  });

  test("the token bucket refills continuously; the sliding window only as its oldest request turns a second old", () => {
    // 10 at t=0, then 5 more half a second later
    const times = [...Array.from({ length: 10 }, () => 0), ...Array.from({ length: 5 }, () => 500)];
    expect(admitted("token-bucket", 10, times).slice(10)).toEqual([true, true, true, true, true]);
    expect(admitted("sliding-window", 10, times).slice(10)).toEqual([false, false, false, false, false]);
    expect(admitted("sliding-window", 10, [...times.slice(0, 10), 999.9, 1_000])).toEqual([...Array(10).fill(true), false, true]);
  });

  test("exactly at the rate passes the sliding window; a millisecond early at any point does not", () => {
    const steady = Array.from({ length: 100 }, (_, i) => i * 100);
    expect(admitted("sliding-window", 10, steady).every(Boolean)).toBe(true);
    const oneEarly = steady.map((t, i) => (i === 57 ? t - 1 : t));
    expect(admitted("sliding-window", 10, oneEarly).filter((ok) => !ok)).toHaveLength(1);
    // the token bucket forgives the same early request
    expect(admitted("token-bucket", 10, oneEarly).every(Boolean)).toBe(true);
  });

  test("refused requests do not count against the limit", () => {
    const limiter = createLimiter("sliding-window", 2, 0);
    expect([0, 0, 10, 20, 500, 1_000, 1_000, 1_001].map((t) => limiter.take(t))).toEqual([true, true, false, false, false, true, true, false]);
  });

  test("counted per key, callers share one limit; counted per address, each address has its own", async () => {
    const url = (key: string) => `http://sim/wotx/account/info/?application_id=${key}&account_id=5000`;
    const sim = new Simulator({ keys: [{ applicationId: "shared", rps: 5 }, { applicationId: "standalone", rps: 5, countedPer: "address" }] });
    const burst = async (key: string, address: string) => {
      let ok = 0;
      for (let i = 0; i < 8; i++) if (((await (await sim.handle(new Request(url(key)), address)).json()) as any).status === "ok") ok++;
      return ok;
    };
    expect([await burst("shared", "10.0.0.1"), await burst("shared", "10.0.0.2")]).toEqual([5, 0]);
    expect([await burst("standalone", "10.0.0.1"), await burst("standalone", "10.0.0.2")]).toEqual([5, 5]);
    expect(sim.stats().rateLimited).toBe(3 + 8 + 3 + 3);
  });

  test("requests that arrive together are counted before any of their bodies is built", async () => {
    const sim = new Simulator({ rps: 20, limiter: "sliding-window", recordArrivals: true, keys: ["a"] });
    const request = (start: number) => new Request(`http://sim/wotx/account/info/?application_id=a&account_id=${ids(start, 100)}`);
    const answers = [0, 1, 2, 3].map((i) => sim.handle(request(5_000 + 100 * i)));
    // All four reached the rate check; none has been answered yet (its arrival did not wait for another's body).
    expect(sim.stats().arrivals).toHaveLength(4);
    expect(sim.stats().idsAnswered).toBe(0);
    const bodies = await Promise.all(answers.map(async (answer) => ((await (await answer).json()) as any).status));
    expect(bodies).toEqual(["ok", "ok", "ok", "ok"]);
    expect(sim.stats().idsAnswered).toBeGreaterThan(0);
  });

  test("the limiter is chosen per simulator or per key, and a bad rate is refused at start", async () => {
    const sim = new Simulator({ rps: 2, limiter: "sliding-window", recordArrivals: true, keys: ["a", { applicationId: "b", limiter: "token-bucket" }] });
    const status = async (key: string) =>
      ((await (await sim.handle(new Request(`http://sim/wotx/account/info/?application_id=${key}&account_id=5000`))).json()) as any).status;
    expect([await status("a"), await status("a"), await status("a")]).toEqual(["ok", "ok", "error"]);
    expect(sim.stats().arrivals).toHaveLength(3);
    expect(() => new Simulator({ rps: 0, keys: ["a"] })).toThrow("rate limit 0: must be a positive number of requests per second");
  });
});

describe("faults", () => {
  const params = { application_id: "demo-key", account_id: ids(5000, 100), fields: WG_FIELDS.join(",") };

  async function withFault<T>(faults: object, check: (sim: RunningSimulator) => Promise<T>) {
    const sim = startSimulator({ faults });
    try {
      return await check(sim);
    } finally {
      await sim.stop();
    }
  }

  test("html502 is an HTML Bad Gateway page", () =>
    withFault({ html502: 1 }, async (sim) => {
      const answer = await get(sim, params);
      expect(answer.status).toBe(502);
      expect(answer.type).toStartWith("text/html");
      expect(answer.text).toContain("502 Bad Gateway");
      expect(sim.stats().faults.html502).toBe(1);
    }));

  test("http500 is a bare HTTP 500", () =>
    withFault({ http500: 1 }, async (sim) => {
      expect((await get(sim, params)).status).toBe(500);
    }));

  test("truncated is HTTP 200 JSON that does not parse", () =>
    withFault({ truncated: 1 }, async (sim) => {
      const answer = await get(sim, params);
      expect(answer.status).toBe(200);
      expect(answer.type).toStartWith("application/json");
      expect(answer.text).toStartWith('{"status":"ok"');
      expect(() => JSON.parse(answer.text)).toThrow();
      expect(sim.stats().ok).toBe(0);
    }));

  test("sourceNotAvailable is the 504 error at HTTP 200", () =>
    withFault({ sourceNotAvailable: 1 }, async (sim) => {
      expect(await getJson(sim, params)).toEqual({
        status: "error",
        error: { code: 504, message: "SOURCE_NOT_AVAILABLE", field: null, value: null },
      });
      expect(sim.stats().faults.sourceNotAvailable).toBe(1);
    }));

  test("slow holds a correct answer back for slowMs", () =>
    withFault({ slow: 1, slowMs: 400 }, async (sim) => {
      const started = performance.now();
      const body = await getJson(sim, params);
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      expect(body.status).toBe("ok");
      expect(sim.stats().ok).toBe(1);
    }));

  test("faults only hit requests that would otherwise succeed (gateway faults excepted)", () =>
    withFault({ sourceNotAvailable: 1 }, async (sim) => {
      expect((await getJson(sim, { application_id: "wrong", account_id: "1" })).error.message).toBe("INVALID_APPLICATION_ID");
    }));

  test("the same fault seed fails the same requests; probabilities are respected", async () => {
    const faults = { sourceNotAvailable: 0.1, html502: 0.1, http500: 0.1, truncated: 0.1 };
    const run = async () => {
      const sim = startSimulator({ faults, faultSeed: 99 });
      try {
        const kinds: string[] = [];
        for (let i = 0; i < 200; i++) {
          const a = await get(sim, { application_id: "demo-key", account_id: "5000" });
          kinds.push(a.status !== 200 ? String(a.status) : a.text.includes("SOURCE_NOT") ? "504" : a.text.endsWith("}}") ? "ok" : "cut");
        }
        return kinds;
      } finally {
        await sim.stop();
      }
    };
    const [first, second] = [await run(), await run()];
    expect(second).toEqual(first);
    const ok = first.filter((k) => k === "ok").length;
    expect(ok).toBeGreaterThan(90);
    expect(ok).toBeLessThan(150);
    for (const kind of ["502", "500", "504", "cut"]) expect(first).toContain(kind);
  });
});

describe("bun run sim", () => {
  test("prints its URL and key, serves, and exits 0 on SIGTERM", async () => {
    const cli = Bun.spawn(["bun", "tests/support/wg-sim/main.ts", "--port", "0", "--seed", "5", "--day", "2026-11-27", "--rps", "20", "--keys", "k1,k2"], {
      cwd: `${import.meta.dir}/../..`,
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const reader = cli.stdout.getReader();
      let printed = "";
      while (!printed.includes("application_id")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`simulator exited early: ${await new Response(cli.stderr).text()}`);
        printed += new TextDecoder().decode(value);
      }
      const url = /(http:\/\/\S+\/wotx\/)/.exec(printed)?.[1];
      expect(printed).toContain("day 2026-11-27");
      expect(printed).toContain("application_id: k1, k2");
      const body = (await (await fetch(`${url}account/info/?application_id=k2&account_id=5002`)).json()) as any;
      expect(body.status).toBe("ok");
      cli.kill("SIGTERM");
      expect(await cli.exited).toBe(0);
    } finally {
      cli.kill();
    }
  });

  test("--limiter and --counted-per choose how --rps is counted; an unknown reading is named", async () => {
    const cli = Bun.spawn(
      ["bun", "tests/support/wg-sim/main.ts", "--port", "0", "--rps", "20", "--limiter", "sliding-window", "--counted-per", "address"],
      { cwd: `${import.meta.dir}/../..`, stdout: "pipe", stderr: "pipe" },
    );
    try {
      const reader = cli.stdout.getReader();
      let printed = "";
      while (!printed.includes("limit:")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`simulator exited early: ${await new Response(cli.stderr).text()}`);
        printed += new TextDecoder().decode(value);
      }
      expect(printed).toContain("limit: 20 requests/s per address, counted as sliding-window");
    } finally {
      cli.kill("SIGTERM");
      await cli.exited;
    }
    const bad = Bun.spawn(["bun", "tests/support/wg-sim/main.ts", "--counted-per", "ip"], { cwd: `${import.meta.dir}/../..`, stderr: "pipe" });
    expect(await bad.exited).toBe(2);
    expect(await new Response(bad.stderr).text()).toContain('--counted-per "ip": expected one of key, address');
  });

  test("a bad flag is named and exits 2", async () => {
    const cli = Bun.spawn(["bun", "tests/support/wg-sim/main.ts", "--rps", "fast"], { cwd: `${import.meta.dir}/../..`, stderr: "pipe" });
    expect(await cli.exited).toBe(2);
    expect(await new Response(cli.stderr).text()).toContain('--rps "fast": expected a number');
  });
});
