import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { WG_FIELDS } from "@wotc/schema/player";
import { RateLimiter } from "../../client/src/rate-limiter";
import { ClientCounters } from "../../client/src/stats";
import { WgCaller, type WgSettings } from "../../client/src/wg";
import { redactApplicationIds } from "@wotc/schema/wg";

/** One scripted answer of the stub WG API. */
type Reply = { status?: number; body: string; delayMs?: number; contentType?: string };

function player(id: number, battles = 10) {
  return {
    account_id: id,
    nickname: `p${id}-x`,
    created_at: 1_500_000_000,
    last_battle_time: 1_600_000_000,
    updated_at: 1_600_000_100,
    statistics: { all: { battles, spotted: 1, wins: 2, damage_dealt: 3, frags: 4, dropped_capture_points: 5 } },
  };
}
const ok = (data: Record<string, unknown>): Reply => ({ body: JSON.stringify({ status: "ok", meta: { count: Object.keys(data).length }, data }) });
const wgError = (code: number, message: string, field: string | null = null, value: string | null = null): Reply => ({
  body: JSON.stringify({ status: "error", error: { code, message, field, value } }),
});
const IDS = [5000, 5001, 5002];
const GOOD = ok({ 5000: player(5000), 5001: null, 5002: player(5002) });

/** The stub: answers with the scripted replies in order, then with the last one forever. */
class StubWg {
  replies: Reply[] = [];
  urls: URL[] = [];
  private server = Bun.serve({
    port: 0,
    fetch: async (request) => {
      this.urls.push(new URL(request.url));
      const reply = this.replies.length > 1 ? this.replies.shift()! : this.replies[0];
      if (reply.delayMs) await Bun.sleep(reply.delayMs);
      return new Response(reply.body, {
        status: reply.status ?? 200,
        headers: { "content-type": reply.contentType ?? "application/json" },
      });
    },
  });
  readonly apiBase = `http://127.0.0.1:${this.server.port}/wotx/`;
  stop() {
    this.server.stop(true);
  }
}

let wg: StubWg;
beforeAll(() => (wg = new StubWg()), 60_000);
afterAll(() => wg.stop(), 60_000);
beforeEach(() => {
  wg.replies = [];
  wg.urls = [];
}, 60_000);

function caller(overrides: Partial<WgSettings> = {}, limiter = new RateLimiter(null, 10)) {
  const counters = new ClientCounters();
  const settings: WgSettings = {
    applicationId: "app-123",
    apiBase: wg.apiBase,
    fields: [...WG_FIELDS],
    language: "en",
    requestTimeoutMs: 2_000,
    maxAttempts: 4,
    ...overrides,
  };
  return { counters, limiter, wg: new WgCaller({ settings, limiter, counters, retry: { initialMs: 1, maxMs: 5 } }) };
}

describe("WG caller", () => {
  test("asks account/info with the trailing slash, the key, the ids, fields and language", async () => {
    wg.replies = [GOOD];
    const { wg: api } = caller();
    const outcome = await api.fetchAccounts(IDS);
    expect(outcome.kind).toBe("ok");
    const url = wg.urls[0];
    expect(url.pathname).toBe("/wotx/account/info/");
    expect(url.searchParams.get("application_id")).toBe("app-123");
    expect(url.searchParams.get("account_id")).toBe("5000,5001,5002");
    expect(url.searchParams.get("fields")).toBe(WG_FIELDS.join(","));
    expect(url.searchParams.get("language")).toBe("en");
  });

  test("returns the existing players and skips null entries", async () => {
    wg.replies = [GOOD];
    const outcome = await caller().wg.fetchAccounts(IDS);
    if (outcome.kind !== "ok") throw new Error(outcome.reason);
    expect(outcome.rows.map((row) => row[0])).toEqual([5000, 5002]);
    expect(outcome.strays).toEqual([]);
    expect(outcome.attempts).toBe(1);
  });

  const faults: [string, Reply, string][] = [
    ["an HTML 502 page", { status: 502, body: "<html><body>Bad Gateway</body></html>", contentType: "text/html" }, "http-error"],
    ["an HTML page with status 200", { body: "<!DOCTYPE html><html>maintenance</html>", contentType: "text/html" }, "html-page"],
    ["truncated JSON", { body: GOOD.body.slice(0, GOOD.body.length / 2) }, "bad-json"],
    ["SOURCE_NOT_AVAILABLE", wgError(504, "SOURCE_NOT_AVAILABLE"), "source-not-available"],
    ["REQUEST_LIMIT_EXCEEDED", wgError(407, "REQUEST_LIMIT_EXCEEDED", "application_id"), "rate-limited"],
    ["HTTP 500", { status: 500, body: "internal error" }, "http-error"],
    ["HTTP 429", { status: 429, body: "slow down" }, "http-error"],
    ["a body of the wrong shape", ok({ 5000: { ...player(5000), statistics: { all: { battles: "12" } } } }), "bad-shape"],
    ["a timeout", { ...GOOD, delayMs: 1_000 }, "timeout"],
    ["an answer that leaves out a requested account", ok({ 5000: player(5000), 5002: player(5002) }), "bad-shape"],
  ];
  for (const [name, fault, kind] of faults) {
    test(`retries after ${name}, then succeeds`, async () => {
      wg.replies = [fault, GOOD];
      const { wg: api, counters } = caller({ requestTimeoutMs: 200 });
      const outcome = await api.fetchAccounts(IDS);
      expect(outcome.kind).toBe("ok");
      expect(outcome.attempts).toBe(2);
      expect(counters.requests).toBe(2);
      expect(counters.retries).toBe(1);
      expect(Object.fromEntries(counters.retryKinds)).toEqual({ [kind]: 1 });
    });
  }

  test("REQUEST_LIMIT_EXCEEDED is counted and slows the limiter", async () => {
    wg.replies = [wgError(407, "REQUEST_LIMIT_EXCEEDED"), GOOD];
    const { wg: api, counters, limiter } = caller({}, new RateLimiter(200, 10));
    await api.fetchAccounts(IDS);
    expect(counters.rateLimited).toBe(1);
    expect(limiter.currentRate()!).toBeLessThan(200);
  });

  test("retries after a network error", async () => {
    const dead = Bun.serve({ port: 0, fetch: () => new Response("") });
    const apiBase = `http://127.0.0.1:${dead.port}/wotx/`;
    dead.stop(true);
    const { wg: api, counters } = caller({ apiBase, maxAttempts: 2 });
    const outcome = await api.fetchAccounts(IDS);
    expect(outcome.kind).toBe("failed");
    expect(counters.retryKinds.get("network")).toBe(1);
  });

  test("gives up after maxAttempts and reports the batch as failed with the last reason", async () => {
    wg.replies = [{ status: 502, body: "<html>Bad Gateway</html>" }];
    const { wg: api, counters } = caller({ maxAttempts: 3 });
    const outcome = await api.fetchAccounts(IDS);
    expect(outcome).toEqual({ kind: "failed", reason: "gave up after 3 attempts; last: HTTP 502 (HTML page)", attempts: 3 });
    expect(wg.urls.length).toBe(3);
    expect(counters.requests).toBe(3);
  });

  test("a non-retryable WG error fails at once", async () => {
    wg.replies = [wgError(407, "INVALID_FIELDS", "fields"), GOOD];
    const outcome = await caller().wg.fetchAccounts(IDS);
    expect(outcome.kind).toBe("failed");
    if (outcome.kind === "failed") expect(outcome.reason).toContain("INVALID_FIELDS");
    expect(wg.urls.length).toBe(1);
  });

  test("WG refusing the key itself is told apart, at once, for each of its three ways", async () => {
    for (const error of ["INVALID_APPLICATION_ID", "APPLICATION_IS_BLOCKED", "INVALID_IP_ADDRESS"]) {
      wg.replies = [wgError(407, error, "application_id"), GOOD];
      const outcome = await caller().wg.fetchAccounts(IDS);
      expect(outcome).toMatchObject({ kind: "key-refused", error, attempts: 1 });
    }
  });

  test("WG's INVALID_APPLICATION_ID echoes the key: the reason (logged, sent to the server) does not", async () => {
    const key = "0123456789abcdef0123456789abcdef";
    wg.replies = [wgError(407, "INVALID_APPLICATION_ID", "application_id", key)];
    const outcome = await caller({ applicationId: key }).wg.fetchAccounts(IDS);
    expect(outcome).toEqual({ kind: "key-refused", error: "INVALID_APPLICATION_ID", reason: "WG error 407 INVALID_APPLICATION_ID (field application_id)", attempts: 1 });
  });

  test("a key in any other reason (a message quoting the URL) is replaced", async () => {
    const key = "fedcba9876543210fedcba9876543210";
    wg.replies = [{ status: 400, body: "bad" }];
    const api = caller({ applicationId: key, apiBase: `${wg.apiBase}${key}/` });
    const outcome = await api.wg.fetchAccounts(IDS);
    expect(outcome.kind).toBe("failed");
    if (outcome.kind === "failed") {
      expect(outcome.reason).not.toContain(key);
      expect(outcome.reason).toContain("<application_id>");
    }
  });

  test("an HTTP 404 (wrong apiBase) fails at once and names the endpoint", async () => {
    wg.replies = [{ status: 404, body: "not found" }];
    const outcome = await caller().wg.fetchAccounts(IDS);
    expect(outcome.kind).toBe("failed");
    if (outcome.kind === "failed") expect(outcome.reason).toContain(`HTTP 404 from ${wg.apiBase}account/info/`);
  });

  test("rows outside the requested ids, or under the wrong key, are never returned", async () => {
    wg.replies = [ok({ 5000: player(5000), 5001: player(9999), 5002: null, 7777: player(7777) })];
    const outcome = await caller().wg.fetchAccounts(IDS);
    if (outcome.kind !== "ok") throw new Error(outcome.reason);
    expect(outcome.rows.map((row) => row[0])).toEqual([5000]);
    expect(outcome.strays.sort()).toEqual(["5001", "7777"]);
  });

  test("without meta, or with a meta.count that hides an extra key, only requested ids become rows", async () => {
    const data = { 5000: player(5000), 5001: null, 5002: player(5002), 7777: player(7777) };
    wg.replies = [{ body: JSON.stringify({ status: "ok", data }) }];
    let outcome = await caller().wg.fetchAccounts(IDS);
    if (outcome.kind !== "ok") throw new Error(outcome.reason);
    expect(outcome.rows.map((row) => row[0])).toEqual([5000, 5002]);
    expect(outcome.strays).toEqual(["7777"]);

    wg.replies = [{ body: JSON.stringify({ status: "ok", meta: { count: 3 }, data }) }];
    outcome = await caller().wg.fetchAccounts(IDS);
    if (outcome.kind !== "ok") throw new Error(outcome.reason);
    expect(outcome.rows.map((row) => row[0])).toEqual([5000, 5002]);
  });

  test("a malformed player is retried with its path in the reason", async () => {
    wg.replies = [ok({ 5000: player(5000), 5001: null, 5002: { ...player(5002), nickname: 7 } })];
    const { wg: api } = caller({ maxAttempts: 1 });
    const outcome = await api.fetchAccounts(IDS);
    expect(outcome).toMatchObject({ kind: "failed", reason: "gave up after 1 attempts; last: unexpected response: data.5002.nickname: Invalid type: Expected string but received 7" });
  });

  test("an aborted session rejects instead of reporting an outcome", async () => {
    wg.replies = [{ ...GOOD, delayMs: 1_000 }];
    const controller = new AbortController();
    const pending = caller().wg.fetchAccounts(IDS, controller.signal);
    setTimeout(() => controller.abort(new Error("session ended")), 50);
    await expect(pending).rejects.toThrow("session ended");
  });
});

test("redaction replaces every form of a real key and leaves short test keys readable", () => {
  const key = "0123456789abcdef0123456789abcdef";
  expect(redactApplicationIds(`?application_id=${key}&x=1 and ${key}`, [key, "k"])).toBe("?application_id=<application_id>&x=1 and <application_id>");
  expect(redactApplicationIds("keep the k in kept", ["k"])).toBe("keep the k in kept");
});
