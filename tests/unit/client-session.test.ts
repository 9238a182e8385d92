/**
 * The client against a tiny fake tracker server that speaks the protocol of
 * schema/wire and doubles as the WG API: register → work → results → done.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import * as v from "valibot";
import { WG_FIELDS } from "@wotc/schema/player";
import { type Batch, ClientMessage, type ServerMessage } from "@wotc/schema/wire/messages";
import { ownKeyHash, type ClientSettings } from "@wotc/schema/wire/register";
import { columnsToRows, decodeResultFrame } from "@wotc/schema/wire/result-frame";
import { runClient, type RunClientOptions } from "../../client/src/client";
import type { Logger } from "../../client/src/log";

const TOKEN = "good-token";
type Conn = { index: number; messages: ClientMessage[] };

interface Script {
  /** rps, inFlight and timeout the server hands out. */
  settings?: Partial<ClientSettings>;
  /** Status for the nth registration (0-based); default 200. */
  registerStatus?: (n: number) => number;
  onOpen?: (ws: ServerWebSocket<Conn>, server: FakeTracker) => void;
  onMessage?: (ws: ServerWebSocket<Conn>, message: ClientMessage, server: FakeTracker) => void;
  /** Delay for the nth WG request (0-based). */
  wgDelayMs?: (n: number) => number;
  /** application_id → the WG error refusing it (its answer echoes the key, as WG's does). */
  wgRefuses?: Record<string, string>;
}

/** Accounts exist unless their id is a multiple of 3. */
function wgPlayer(id: number) {
  if (id % 3 === 0) return null;
  return {
    account_id: id,
    nickname: `tanker${id}-x`,
    created_at: 1_500_000_000,
    last_battle_time: id % 2 ? null : 1_600_000_000,
    updated_at: 1_600_000_100,
    statistics: { all: { battles: id % 1000, spotted: 1, wins: 2, damage_dealt: 3, frags: 4, dropped_capture_points: 5 } },
  };
}

class FakeTracker {
  registrations = 0;
  wgRequests = 0;
  connections: Conn[] = [];
  invalid: unknown[] = [];
  /** Everything the client sent the tracker (register bodies, socket paths and frames), as text. */
  received: string[] = [];
  wgKeys = new Set<string>();
  closes: { code: number; reason: string }[] = [];
  /** Results that came as binary frames. */
  frames = 0;
  readonly server;

  constructor(readonly script: Script) {
    this.server = Bun.serve<Conn>({
      port: 0,
      fetch: async (request, server) => {
        const url = new URL(request.url);
        const authorised = request.headers.get("authorization") === `Bearer ${TOKEN}`;
        if (url.pathname === "/api/register" && request.method === "POST") {
          const n = this.registrations++;
          const status = script.registerStatus?.(n) ?? 200;
          if (!authorised) return new Response("bad token", { status: 401 });
          if (status !== 200) return new Response("not now", { status });
          const text = await request.text();
          this.received.push(text);
          const body = JSON.parse(text) as { name: string };
          return Response.json(this.settings(body.name));
        }
        if (url.pathname === "/api/work") {
          if (!authorised) return new Response("bad token", { status: 401 });
          this.received.push(request.url);
          const conn: Conn = { index: this.connections.length, messages: [] };
          this.connections.push(conn);
          return server.upgrade(request, { data: conn }) ? undefined : new Response("upgrade failed", { status: 400 });
        }
        if (url.pathname === "/wotx/account/info/") {
          const delay = script.wgDelayMs?.(this.wgRequests++) ?? 0;
          if (delay) await Bun.sleep(delay);
          const key = url.searchParams.get("application_id") ?? "";
          this.wgKeys.add(key);
          const refusal = script.wgRefuses?.[key];
          if (refusal) return Response.json({ status: "error", error: { code: 407, message: refusal, field: "application_id", value: key } });
          const ids = url.searchParams.get("account_id")!.split(",").map(Number);
          const data = Object.fromEntries(ids.map((id) => [String(id), wgPlayer(id)]));
          return Response.json({ status: "ok", meta: { count: ids.length }, data });
        }
        return new Response("not found", { status: 404 });
      },
      websocket: {
        open: (ws) => script.onOpen?.(ws, this),
        close: (_ws, code, reason) => void this.closes.push({ code, reason }),
        message: (ws, text) => {
          if (typeof text !== "string") {
            // a result frame: kept as the JSON result it stands for, marked as a frame
            const frame = decodeResultFrame(new Uint8Array(text));
            if ("error" in frame) return void this.invalid.push(frame.error);
            this.frames++;
            const message: ClientMessage = { type: "result", id: frame.id, rows: columnsToRows(frame.result) };
            ws.data.messages.push(message);
            return script.onMessage?.(ws, message, this);
          }
          this.received.push(String(text));
          const parsed = v.safeParse(ClientMessage, JSON.parse(String(text)));
          if (!parsed.success) return void this.invalid.push(text);
          ws.data.messages.push(parsed.output);
          script.onMessage?.(ws, parsed.output, this);
        },
      },
    });
  }

  get url() {
    return `http://127.0.0.1:${this.server.port}`;
  }

  settings(name: string): ClientSettings {
    return {
      name,
      applicationId: "app-1",
      rps: null,
      inFlight: 4,
      apiBase: `${this.url}/wotx/`,
      fields: [...WG_FIELDS],
      language: "en",
      requestTimeoutMs: 5_000,
      maxAttempts: 3,
      workPath: "/api/work",
      ...this.script.settings,
    };
  }

  messages(type: ClientMessage["type"]) {
    return this.connections.flatMap((conn) => conn.messages.filter((m) => m.type === type));
  }
}

function send(ws: ServerWebSocket<Conn>, message: ServerMessage) {
  ws.send(JSON.stringify(message));
}
const batch = (id: number, start: number, size = 100): Batch => ({ id, platform: "xbox", start, end: start + size });

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (line) => lines.push(`info ${line}`),
    warn: (line) => lines.push(`warn ${line}`),
    error: (line) => lines.push(`error ${line}`),
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

const servers: FakeTracker[] = [];
function tracker(script: Script) {
  const server = new FakeTracker(script);
  servers.push(server);
  return server;
}
afterEach(() => {
  for (const server of servers.splice(0)) server.server.stop(true);
}, 60_000);

function options(server: FakeTracker, log: Logger, extra: Partial<RunClientOptions> = {}): RunClientOptions {
  return {
    server: server.url,
    token: TOKEN,
    name: "test-client",
    log,
    statsIntervalMs: 60_000,
    reconnect: { initialMs: 10, maxMs: 20 },
    wgRetry: { initialMs: 1, maxMs: 5 },
    ...extra,
  };
}

/** Hands out `batches` on open and says done once each has an answer. */
function workThenDone(batches: Batch[]): Script {
  return {
    onOpen: (ws) => send(ws, { type: "work", batches }),
    onMessage: (ws, message) => {
      const answered = ws.data.messages.filter((m) => m.type === "result" || m.type === "failed").length;
      if ((message.type === "result" || message.type === "failed") && answered === batches.length) {
        send(ws, { type: "done", date: "2024-05-01" });
      }
    },
  };
}

describe("client session", () => {
  test("registers, works every batch, sends compact rows, and exits 0 when the run is done", async () => {
    const batches = [batch(1, 5000), batch(2, 5100), batch(3, 5200, 7)];
    const server = tracker(workThenDone(batches));
    const log = capture();
    const exit = await runClient(options(server, log));

    expect(exit).toMatchObject({ code: 0, reason: "done" });
    expect(server.invalid).toEqual([]);
    const results = server.messages("result") as Extract<ClientMessage, { type: "result" }>[];
    expect(results.map((r) => r.id).sort()).toEqual([1, 2, 3]);
    for (const result of results) {
      const b = batches.find((x) => x.id === result.id)!;
      const expected = [];
      for (let id = b.start; id < b.end; id++) if (id % 3 !== 0) expected.push(id);
      expect(result.rows.map((row) => row[0]).sort()).toEqual(expected);
    }
    const row = results.flatMap((r) => r.rows).find((r) => r[0] === 5003)!;
    expect(row).toEqual([5003, "tanker5003-x", 1_500_000_000, 0, 1_600_000_100, 3, 1, 2, 3, 4, 5]);
    expect(log.lines.some((line) => line.includes("run 2024-05-01 is complete: 3 batches done, 0 failed"))).toBe(true);
  });

  test("offers result frames on the work socket; told the server reads them, it sends each result as one, the same rows as in JSON", async () => {
    const batches = [batch(1, 5000), batch(2, 5100), batch(3, 5200, 7)];
    const plain = tracker(workThenDone(batches));
    expect(await runClient(options(plain, capture()))).toMatchObject({ code: 0, reason: "done" });
    const framed = tracker({
      ...workThenDone(batches),
      onOpen: (ws) => {
        send(ws, { type: "formats", results: "frame-1" });
        send(ws, { type: "work", batches });
      },
    });
    expect(await runClient(options(framed, capture()))).toMatchObject({ code: 0, reason: "done" });

    // A server that never says `formats` (one from before frames) gets JSON, as it always did
    expect(plain.frames).toBe(0);
    expect(framed.frames).toBe(3);
    expect(framed.invalid).toEqual([]);
    expect(framed.received.find((text) => text.includes("/api/work"))).toContain("results=frame-1");
    const byId = (server: FakeTracker) =>
      (server.messages("result") as Extract<ClientMessage, { type: "result" }>[])
        .map((r) => ({ id: r.id, rows: [...r.rows].sort((a, b) => a[0] - b[0]) }))
        .sort((a, b) => a.id - b.id);
    expect(byId(framed)).toEqual(byId(plain));
    expect(byId(framed)[0]!.rows.length).toBeGreaterThan(50);
  });

  test("a refused token ends the client with a clear message instead of retrying", async () => {
    const server = tracker({});
    const log = capture();
    const exit = await runClient({ ...options(server, log), token: "wrong" });
    expect(exit).toMatchObject({ code: 1, reason: "refused" });
    expect(log.lines).toContain("error the server refused the token");
    expect(server.registrations).toBe(1);
  });

  test("an unavailable server is retried with back-off, and the client says so", async () => {
    const server = tracker({ ...workThenDone([batch(1, 5000)]), registerStatus: (n) => (n < 2 ? 503 : 200) });
    const log = capture();
    const exit = await runClient(options(server, log));
    expect(exit.code).toBe(0);
    expect(server.registrations).toBe(3);
    expect(log.lines.filter((line) => line.includes("answered HTTP 503; retrying in"))).toHaveLength(2);
  });

  test("stats messages reach the server and a progress line is printed", async () => {
    const server = tracker({ onOpen: (ws) => send(ws, { type: "work", batches: [batch(1, 5000)] }) });
    const log = capture();
    const controller = new AbortController();
    const running = runClient(options(server, log, { statsIntervalMs: 20, signal: controller.signal }));
    await until(() => server.messages("stats").length >= 2 && server.messages("result").length === 1, "stats");
    controller.abort();
    await running;
    const last = server.messages("stats").at(-1) as Extract<ClientMessage, { type: "stats" }>;
    expect(last.stats).toMatchObject({ batchesDone: 1, batchesFailed: 0, requests: 1, retries: 0, rateLimited: 0 });
    expect(log.lines.some((line) => line.startsWith("info progress: 1 batches done, 0 failed"))).toBe(true);
  });

  test("stopping hands unfinished batches back and exits 0", async () => {
    const server = tracker({
      wgDelayMs: () => 10_000,
      onOpen: (ws) => send(ws, { type: "work", batches: [batch(7, 5000), batch(8, 5100)] }),
    });
    const log = capture();
    const controller = new AbortController();
    const running = runClient(options(server, log, { signal: controller.signal }));
    await until(() => server.wgRequests === 2, "both WG requests");
    controller.abort();
    const exit = await running;
    expect(exit).toMatchObject({ code: 0, reason: "stopped" });
    await until(() => server.messages("release").length === 1, "release");
    expect(server.messages("release")).toEqual([{ type: "release", ids: [7, 8] }]);
    expect(server.messages("result")).toEqual([]);
  });

  test("after a lost socket it re-registers, and never reports old batches on the new socket", async () => {
    const server = tracker({
      wgDelayMs: (n) => (n === 0 ? 300 : 0),
      onOpen: (ws, s) => {
        if (ws.data.index === 0) {
          send(ws, { type: "work", batches: [batch(1, 5000)] });
          void until(() => s.wgRequests === 1, "first WG request").then(() => ws.close(1011, "server restarting"));
        } else send(ws, { type: "work", batches: [batch(2, 5100)] });
      },
      onMessage: (ws, message) => {
        if (message.type === "result") send(ws, { type: "done", date: "2024-05-01" });
      },
    });
    const log = capture();
    const exit = await runClient(options(server, log));
    expect(exit.code).toBe(0);
    expect(server.registrations).toBe(2);
    expect(server.connections).toHaveLength(2);
    await Bun.sleep(400); // the first batch's WG answer has arrived by now
    expect(server.messages("result").map((m) => (m as { id: number }).id)).toEqual([2]);
    expect(log.lines.some((line) => line.includes("connection to the server lost (code 1011: server restarting)"))).toBe(true);
  });

  test("a rate message re-paces the client; invalid messages are ignored and logged once", async () => {
    const server = tracker({
      settings: { rps: 1 },
      onOpen: (ws) => {
        ws.send("not json");
        send(ws, { type: "bogus" } as never);
        send(ws, { type: "bogus" } as never);
        send(ws, { type: "rate", rps: 1_000, inFlight: 8 });
        send(ws, { type: "wait", reason: "DB queue is full" });
        send(ws, { type: "work", batches: [batch(1, 5000), batch(2, 5100), batch(3, 5200), batch(4, 5300)] });
      },
      onMessage: (ws, message) => {
        if (ws.data.messages.filter((m) => m.type === "result").length === 4) send(ws, { type: "done", date: "2024-05-01" });
      },
    });
    const log = capture();
    const started = Date.now();
    const exit = await runClient(options(server, log));
    expect(exit.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_500); // at 1 req/s four batches take 3 s
    expect(log.lines).toContain("info rate share now 1000 req/s, 8 batches in flight");
    expect(log.lines).toContain("info waiting: DB queue is full");
    expect(log.lines.filter((line) => line.includes("invalid message"))).toHaveLength(1);
    expect(log.lines.filter((line) => line.includes("not JSON"))).toHaveLength(1);
  });

  test("back-pressure that flips between wait and work is logged once, not once per flip", async () => {
    // While the database is the bottleneck the server says "wait" and "work" by turns, several times a second
    const REASON = "the database is behind; waiting for it to catch up";
    const server = tracker({
      onOpen: (ws) => {
        send(ws, { type: "wait", reason: REASON });
        send(ws, { type: "work", batches: [batch(1, 5000)] });
      },
      onMessage: (ws, message) => {
        if (message.type !== "result") return;
        const results = ws.data.messages.filter((m) => m.type === "result").length;
        if (results === 10) return send(ws, { type: "done", date: "2024-05-01" });
        send(ws, { type: "wait", reason: REASON });
        send(ws, { type: "work", batches: [batch(results + 1, 5000 + results * 100)] });
      },
    });
    const log = capture();
    expect((await runClient(options(server, log))).code).toBe(0);
    expect(server.connections[0]!.messages.filter((m) => m.type === "result")).toHaveLength(10);
    expect(log.lines.filter((line) => line.includes("waiting:"))).toEqual([`info waiting: ${REASON}`]);
  });

  test("a batch WG keeps failing goes back as failed, never dropped", async () => {
    const server = tracker({
      ...workThenDone([batch(1, 5000)]),
      settings: { apiBase: "http://127.0.0.1:9/wotx/", maxAttempts: 2 },
    });
    const log = capture();
    const exit = await runClient(options(server, log));
    expect(exit.code).toBe(0);
    const [failed] = server.messages("failed") as Extract<ClientMessage, { type: "failed" }>[];
    expect(failed.id).toBe(1);
    expect(failed.reason).toStartWith("gave up after 2 attempts; last: network error");
  });
});

describe("client session with the volunteer's own WG key", () => {
  const KEY = "0123456789abcdef0123456789abcdef";
  const ownKey = { applicationId: KEY, rps: 7, per: "key" as const };

  test("registers with the key's hash and rate only, queries WG with its own key even if the server sends one, and never sends the key to the server", async () => {
    const server = tracker(workThenDone([batch(1, 5000), batch(2, 5100)]));
    const log = capture();
    const exit = await runClient(options(server, log, { ownKey }));
    expect(exit).toMatchObject({ code: 0, reason: "done" });
    expect(JSON.parse(server.received[0]!).ownKey).toEqual({ hash: ownKeyHash(KEY), rps: 7, per: "key" });
    expect([...server.wgKeys]).toEqual([KEY]); // not the server's "app-1"
    expect(server.received.filter((text) => text.includes(KEY))).toEqual([]);
    expect(log.lines.some((line) => line.includes(`with your own WG key (${ownKeyHash(KEY).slice(0, 8)}… as the server knows it), 7 req/s per key`))).toBe(true);
    expect(log.lines.filter((line) => line.includes(KEY))).toEqual([]);
  });

  for (const error of ["INVALID_APPLICATION_ID", "APPLICATION_IS_BLOCKED", "INVALID_IP_ADDRESS"]) {
    test(`WG answering ${error}: the client stops, hands its batches back (none failed), tells the volunteer what to do, and never prints the key`, async () => {
      const server = tracker({ wgRefuses: { [KEY]: error }, onOpen: (ws) => send(ws, { type: "work", batches: [batch(1, 5000), batch(2, 5100), batch(3, 5200)] }) });
      const log = capture();
      const exit = await runClient(options(server, log, { ownKey }));
      expect(exit).toMatchObject({ code: 1, reason: "key-refused" });
      expect(exit.message).toStartWith(`WG refused your application id (${error}): `);
      expect(exit.message).toContain("https://developers.wargaming.net/applications/");
      expect(log.lines).toContain(`error ${exit.message}`);
      await until(() => server.closes.length === 1, "the socket closed");
      expect(server.closes[0]).toEqual({ code: 1000, reason: `WG refused the client's own key: ${error}` });
      expect(server.messages("failed")).toEqual([]);
      expect(server.messages("release").flatMap((m) => (m as { ids: number[] }).ids).sort()).toEqual([1, 2, 3]);
      expect(server.registrations).toBe(1); // no reconnecting: only the volunteer can fix the key
      expect([...log.lines, ...server.received].filter((text) => text.includes(KEY))).toEqual([]);
    });
  }

  test("a server from before volunteers' keys refuses the field: the client says to run without the key", async () => {
    // What such a server answers (its RegisterRequest is a strict object without ownKey)
    const older = (async () =>
      Response.json({ error: 'invalid register request: × Invalid key: Expected never but received "ownKey"\n  → at ownKey' }, { status: 400 })) as unknown as typeof fetch;
    const log = capture();
    const exit = await runClient({ server: "http://tracker.test", token: TOKEN, name: "box", ownKey, fetch: older, log });
    expect(exit).toMatchObject({ code: 1, reason: "refused" });
    expect(exit.message).toContain("this server is older than volunteers' own WG keys: run the client without --application-id");
  });

  test("with the operator's key, WG refusing it fails the batch as before: the operator has to act, not the volunteer", async () => {
    const server = tracker({ ...workThenDone([batch(1, 5000)]), wgRefuses: { "app-1": "INVALID_APPLICATION_ID" } });
    const exit = await runClient(options(server, capture()));
    expect(exit).toMatchObject({ code: 0, reason: "done" });
    expect(server.messages("failed")).toEqual([{ type: "failed", id: 1, reason: "WG error 407 INVALID_APPLICATION_ID (field application_id)" }]);
  });
});

describe("client process", () => {
  const root = `${import.meta.dir}/../..`;

  test("bun client/src/main.ts works a run and exits 0", async () => {
    const server = tracker(workThenDone([batch(1, 5000)]));
    const proc = Bun.spawn(["bun", "client/src/main.ts", "--server", server.url, "--token", TOKEN, "--name", "proc"], {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(0);
    expect(await new Response(proc.stdout).text()).toContain("run 2024-05-01 is complete: 1 batches done");
    expect(server.messages("result")).toHaveLength(1);
  });

  test("SIGTERM hands the batches back and exits 0", async () => {
    const server = tracker({ wgDelayMs: () => 10_000, onOpen: (ws) => send(ws, { type: "work", batches: [batch(5, 5000)] }) });
    const proc = Bun.spawn(["bun", "client/src/main.ts", "--server", server.url, "--token", TOKEN], {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
    });
    await until(() => server.wgRequests === 1, "the WG request");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(server.messages("release")).toEqual([{ type: "release", ids: [5] }]);
  });

  test("a refused token exits non-zero with the reason on stderr", async () => {
    const server = tracker({});
    const proc = Bun.spawn(["bun", "client/src/main.ts", "--server", server.url, "--token", "nope"], {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain("the server refused the token");
  });
});
