/**
 * Hardening, end to end against the real server process: hostile WebSocket
 * input, address lists, TLS, token revocation on open sockets, floods of
 * connections, garbage WG answers, shared keys, and config write errors.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { join } from "node:path";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { spawnProc, startClient, type Proc } from "../support/processes";
import { DAY1, SMALL_RANGES } from "./crawl-support";
import { openWorkSocket, setUpHardened, startHardenedServer, type HardenedSetup } from "./hardening-support";
import { MAX_MESSAGE_BYTES } from "@wotc/schema/wire/messages";
import type { PlayerRow } from "@wotc/schema/player";
import { encodeResultFrame, NUMBER_POSITIONS } from "@wotc/schema/wire/result-frame";

/** The frame with byte `at` (from the end when negative) set to `value`. */
function withByte(frame: Uint8Array, at: number, value: number): Uint8Array {
  frame[at < 0 ? frame.length + at : at] = value;
  return frame;
}

/** The frame (of `rows` rows) with PlayerRow position `position` of row `r` set to `value`. */
function withNumber(frame: Uint8Array, rows: number, position: number, r: number, value: number): Uint8Array {
  new DataView(frame.buffer, frame.byteOffset).setFloat64(8 + (NUMBER_POSITIONS.indexOf(position) * rows + r) * 8, value, true);
  return frame;
}

async function expectOracleEqual(setup: HardenedSetup) {
  const expected = expectedDatabase(setup.world, setup.ranges, [DAY1]);
  const actual = await readSnapshot(setup.db.sql);
  expect(firstDifferences(actual.players, expected.players)).toEqual([]);
  expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
  expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
}

async function adminStatus(url: string): Promise<any> {
  return (await fetch(`${url}/api/admin/status`)).json();
}

/** The next `error` message after index `from`. */
async function nextError(messages: any[], from: number, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = messages.slice(from).find((m) => m.type === "error");
    if (found) return found.message;
    if (Date.now() > deadline) throw new Error(`no error reply; got ${JSON.stringify(messages.slice(from))}`);
    await Bun.sleep(10);
  }
}

describe("hostile WebSocket input", () => {
  let setup: HardenedSetup;
  let server: Proc;
  let url: string;
  let token: string;
  beforeAll(async () => {
    setup = await setUpHardened({ seed: 601, day: DAY1, keyRps: 5 });
    token = await setup.token("rogue");
    ({ server, url } = await startHardenedServer(setup, DAY1));
  }, 60_000);
  afterAll(async () => {
    server?.kill("SIGTERM");
    await server?.exited;
    await setup?.cleanup();
  }, 60_000);

  test("each kind of bad message gets an error reply and is counted; nothing bad reaches the database", async () => {
    const probe = openWorkSocket(url, token, "rogue");
    expect(await probe.opened).toBe(true);
    while (!probe.messages.some((m) => m.type === "work")) await Bun.sleep(10);
    const batches = probe.messages.find((m) => m.type === "work").batches as { id: number; start: number; end: number }[];
    const [mine, second, third, fourth, fifth, sixth] = batches;
    expect(batches.length).toBeGreaterThanOrEqual(6);
    const row = (id: number, battles = 10): PlayerRow => [id, `p${id}`, 1_400_000_000, 1_700_000_000, 1_700_000_100, battles, 1, 1, 1, 1, 1];
    const notMine = Array.from({ length: 100 }, (_, i) => i).find((id) => !batches.some((b) => b.id === id))!;

    const cases: [string, string | Uint8Array, RegExp][] = [
      ["oversized", JSON.stringify({ type: "stats", pad: "x".repeat(MAX_MESSAGE_BYTES + 10) }), /over the 65536-byte limit/],
      ["binary, not a result frame", new Uint8Array([1, 2, 3]), /shorter than the 8-byte result header/],
      ["not JSON", "{type: result", /not valid JSON/],
      ["wrong shape", JSON.stringify({ type: "result", id: "seven", rows: [] }), /invalid message at id/],
      ["unknown type", JSON.stringify({ type: "gimme", id: 1 }), /invalid message/],
      ["huge number (over the wire limit)", JSON.stringify({ type: "result", id: mine!.id, rows: [row(mine!.start, 2 ** 60)] }), /invalid message at rows/],
      ["huge number (over the column)", JSON.stringify({ type: "result", id: mine!.id, rows: [row(mine!.start, 2 ** 40)] }), /battles 1099511627776 is over 2147483647/],
      ["batch not leased to the sender", JSON.stringify({ type: "result", id: notMine, rows: [] }), /not leased to you/],
      ["row outside the batch", JSON.stringify({ type: "result", id: second!.id, rows: [row(second!.end)] }), /outside/],
      ["row twice", JSON.stringify({ type: "result", id: third!.id, rows: [row(third!.start), row(third!.start)] }), /twice/],
      ["NUL in a nickname", JSON.stringify({ type: "result", id: fourth!.id, rows: [[fourth!.start, "a\u0000b", 1, 1, 1, 1, 1, 1, 1, 1, 1]] }), /NUL/],
      ["result frame cut short", encodeResultFrame(fifth!.id, [row(fifth!.start)]).slice(0, 40), /too short for 1 rows/],
      ["result frame with a nickname not UTF-8", withByte(encodeResultFrame(fifth!.id, [row(fifth!.start)]), -1, 0xff), /not valid UTF-8/],
      ["result frame with NaN battles", withNumber(encodeResultFrame(fifth!.id, [row(fifth!.start)]), 1, 5, 0, NaN), /battles NaN is not an integer/],
      ["result frame out of account order", withNumber(withNumber(encodeResultFrame(sixth!.id, [row(sixth!.start), row(sixth!.start + 1)]), 2, 0, 0, sixth!.start + 2), 2, 0, 1, sixth!.start + 1), /increasing account order/],
    ];
    for (const [what, data, expected] of cases) {
      const from = probe.messages.length;
      probe.socket.send(data);
      expect({ what, reply: await nextError(probe.messages, from) }).toEqual({ what, reply: expect.stringMatching(expected) });
    }
    // A valid result is accepted once; the same result again is refused.
    probe.socket.send(JSON.stringify({ type: "result", id: mine!.id, rows: [row(mine!.start)] }));
    await Bun.sleep(200);
    const from = probe.messages.length;
    probe.socket.send(JSON.stringify({ type: "result", id: mine!.id, rows: [row(mine!.start)] }));
    expect(await nextError(probe.messages, from)).toMatch(/already answered|not leased/);

    const status = await adminStatus(url);
    // oversized, binary, not JSON, wrong shape, unknown type, over the wire limit, frame cut short, frame not UTF-8
    expect(status.hub.invalidMessages).toBe(8);
    expect(status.errors.refusedResults).toBe(8);
    expect(status.clients[0].invalidMessages + status.clients[0].refusedResults).toBe(16);
    probe.socket.close();
    await probe.closed;
    // The accepted answer is written once the run has a moment (unchecked: nobody else could check it).
    for (let i = 0; i < 200; i++) {
      const s = await adminStatus(url);
      if (s.clients.length === 0 && s.run.batches.done === 1) break;
      await Bun.sleep(100);
    }
    expect((await adminStatus(url)).run.batches).toMatchObject({ done: 1, leased: 0 });
    const written = await setup.db.sql<{ account_id: string; battles: number }[]>`SELECT account_id::text, battles FROM players ORDER BY account_id`;
    expect([...written]).toEqual([{ account_id: String(mine!.start), battles: 10 }]);
  });

  test("a client that keeps sending bad messages is dropped (1008) and its leases go back to the queue", async () => {
    const probe = openWorkSocket(url, token, "rogue");
    expect(await probe.opened).toBe(true);
    while (!probe.messages.some((m) => m.type === "work" || m.type === "wait")) await Bun.sleep(10);
    for (let i = 0; i < 30 && probe.socket.readyState === WebSocket.OPEN; i++) probe.socket.send("nonsense");
    const closed = await probe.closed;
    expect(closed.code).toBe(1008);
    const status = await adminStatus(url);
    expect(status.hub.droppedClients).toBeGreaterThanOrEqual(1);
    expect(status.clients).toEqual([]);
    expect(status.run.batches.leased).toBe(0);
  });

  test("a frame over the frame limit is cut off by the server (1009) and counted", async () => {
    const before = (await adminStatus(url)).hub.invalidMessages;
    const probe = openWorkSocket(url, token, "rogue");
    expect(await probe.opened).toBe(true);
    probe.socket.send("x".repeat(5 * MAX_MESSAGE_BYTES));
    expect((await probe.closed).code).toBe(1009);
    await Bun.sleep(100);
    expect((await adminStatus(url)).hub.invalidMessages).toBe(before + 1);
    expect((await fetch(`${url}/api/status`)).status).toBe(200);
  });
});

/** Servers of the test in progress, killed if it fails half-way (a finished server has exited already). */
const running: Proc[] = [];
afterEach(() => {
  for (const server of running.splice(0)) server.kill("SIGKILL");
}, 60_000);

async function register(url: string, token: string, name = "probe"): Promise<number> {
  const response = await fetch(`${url}/api/register`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  await response.text();
  return response.status;
}

describe("access", () => {
  test("allow/deny lists apply to register and the socket, IPv4 and IPv6 alike", async () => {
    // Listening on :: (dual stack): 127.0.0.1 arrives as ::ffff:127.0.0.1 and must match IPv4 rules.
    const setup = await setUpHardened({ seed: 602, day: DAY1, server: { host: "::" }, extra: { access: { allow: ["::1/128", "10.0.0.0/8"], deny: ["127.0.0.0/8"] } } });
    try {
      const token = await setup.token("volunteer");
      const { server, url } = await startHardenedServer(setup, DAY1);
      running.push(server);
      const v4 = url;
      const v6 = url.replace("127.0.0.1", "[::1]");
      expect(await register(v4, token)).toBe(403);
      expect(await register(v6, token)).toBe(200);
      expect(await register(v6, "wrong")).toBe(401);
      const refused = openWorkSocket(v4, token);
      expect(await refused.opened).toBe(false);
      const accepted = openWorkSocket(v6, token);
      expect(await accepted.opened).toBe(true);
      accepted.socket.close();
      server.kill("SIGTERM");
      expect(await server.exited).toBe(143);
    } finally {
      await setup.cleanup();
    }
  }, 60_000);

  test("TLS: a client with --ca crawls over https/wss; without it, or over plain http, nothing gets through", async () => {
    const certDir = await mkdtemp(join(tmpdir(), "wotc-tls-"));
    const cert = join(certDir, "cert.pem");
    const key = join(certDir, "key.pem");
    const openssl = Bun.spawnSync(
      ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
      { stderr: "pipe" },
    );
    expect(openssl.exitCode).toBe(0);
    const setup = await setUpHardened({ seed: 603, day: DAY1, extra: { tls: { cert, key } } });
    try {
      const token = await setup.token("volunteer");
      const { server, url } = await startHardenedServer(setup, DAY1);
      running.push(server);
      expect(url).toStartWith("https://");
      expect(await fetch(url.replace("https:", "http:") + "/api/status").then((r) => r.status, () => "refused")).not.toBe(200);
      await expect(fetch(`${url}/api/status`)).rejects.toThrow(/self.signed|certificate/i);

      const untrusting = startClient(url, token, "no-ca");
      await untrusting.waitFor(/self.signed|certificate/i, 30_000);
      untrusting.kill("SIGINT");
      await untrusting.exited;

      const client = spawnProc(["bun", "client/src/main.ts", "--server", url, "--token", token, "--name", "with-ca", "--ca", cert]);
      expect(await server.exited).toBe(0);
      expect(await client.exited).toBe(0);
      expect(client.output()).toContain("connected to wss://");
      await expectOracleEqual(setup);
    } finally {
      await setup.cleanup();
      await rm(certDir, { recursive: true, force: true });
    }
  }, 90_000);

  test("a token revoked by another process mid-run: its client is cut off at once and its batches are crawled by the others", async () => {
    const setup = await setUpHardened({ seed: 604, day: DAY1, keyRps: 20, sim: { rps: 20 } });
    try {
      const alpha = await setup.token("alpha");
      const beta = await setup.token("beta");
      const { server, url } = await startHardenedServer(setup, DAY1);
      running.push(server);
      const alphaClient = startClient(url, alpha, "alpha-box");
      const betaClient = startClient(url, beta, "beta-box");
      await server.waitFor(/client alpha-box .*connected/);
      await server.waitFor(/client beta-box .*connected/);
      const revoke = spawnProc(["bun", "server/src/main.ts", "--config", setup.configPath, "token", "revoke", "alpha"], setup.env);
      expect(await revoke.exited).toBe(0);
      const revokedAt = Date.now();
      expect(await alphaClient.exited).toBe(1); // its socket was closed, and registering again is refused
      expect(Date.now() - revokedAt).toBeLessThan(10_000);
      expect(alphaClient.output()).toContain("refused the token");
      expect(server.output()).toMatch(/token of alpha was revoked/);
      expect(await server.exited).toBe(0);
      expect(await betaClient.exited).toBe(0);
      await expectOracleEqual(setup);
    } finally {
      await setup.cleanup();
    }
  }, 90_000);

  test("a flood of idle sockets, socket attempts and register requests does not stop the crawl", async () => {
    const setup = await setUpHardened({
      seed: 605, day: DAY1, keyRps: 40, sim: { rps: 40 },
      extra: { access: { maxConnectionsPerAddress: 3, registerPerMinute: 10 } },
    });
    const idle: ReturnType<typeof connect>[] = [];
    try {
      const token = await setup.token("volunteer");
      const { server, url } = await startHardenedServer(setup, DAY1);
      running.push(server);
      const port = Number(new URL(url).port);
      const client = startClient(url, token, "steady");
      await server.waitFor(/client steady .*connected/);

      // 300 idle TCP connections and 200 that send half a request header (slowloris)
      for (let i = 0; i < 500; i++) {
        const socket = connect(port, "127.0.0.1");
        socket.on("error", () => {});
        if (i >= 300) socket.write("GET /api/status HTTP/1.1\r\nHost: x\r\n");
        idle.push(socket);
      }
      // Sockets over the per-address limit are refused; the client holds one of the three
      const probes = Array.from({ length: 10 }, () => openWorkSocket(url, token, "flood"));
      await Promise.all(probes.map((p) => p.opened));
      await Bun.sleep(500);
      const kept = probes.filter((p) => p.socket.readyState === WebSocket.OPEN);
      expect(kept.length).toBe(2);
      const refusals = await Promise.all(probes.filter((p) => !kept.includes(p)).map((p) => p.closed));
      expect(refusals.every((r) => r.code === 1013 || r.code === 1006 || r.code === 1002)).toBe(true);
      const registers = await Promise.all(Array.from({ length: 40 }, () => register(url, "guess-" + Math.random())));
      expect(registers.filter((s) => s === 429).length).toBeGreaterThanOrEqual(30);
      expect(registers.filter((s) => s === 401).length).toBeLessThanOrEqual(9);

      const started = performance.now();
      expect((await fetch(`${url}/api/status`)).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(2_000);
      const admin = await adminStatus(url);
      expect(admin.access.refusedConnections).toBeGreaterThanOrEqual(8);
      expect(admin.access.refusedRegisters).toBeGreaterThanOrEqual(30);
      for (const p of probes) p.socket.close();

      expect(await server.exited).toBe(0);
      expect(await client.exited).toBe(0);
      await expectOracleEqual(setup);
    } finally {
      for (const socket of idle) socket.destroy();
      await setup.cleanup();
    }
  }, 90_000);
});

describe("faults", () => {
  test("WG answers that are HTML pages, truncated, or have wrong types are retried and never written", async () => {
    const mangled = { html: 0, truncated: 0, wrongTypes: 0 };
    let upstream = "";
    let n = 0;
    // A gateway between the clients and the simulator that spoils every 7th answer, in turn one of three ways.
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        const url = new URL(request.url);
        const answer = await fetch(upstream + url.pathname.replace(/^\/wotx\//, "") + url.search);
        const body = await answer.text();
        if (++n % 7 !== 0) return new Response(body, { status: answer.status, headers: { "content-type": "application/json" } });
        const kind = (["html", "truncated", "wrongTypes"] as const)[(n / 7) % 3]!;
        mangled[kind]++;
        if (kind === "html") return new Response("<!DOCTYPE html><html><body>Maintenance</body></html>", { headers: { "content-type": "text/html" } });
        if (kind === "truncated") return new Response(body.slice(0, body.length >> 1), { headers: { "content-type": "application/json" } });
        const json = JSON.parse(body);
        const player = json.data && Object.values(json.data).find((p) => p !== null) as any;
        if (player) player.statistics.all.battles = String(player.statistics.all.battles);
        else json.data = "none";
        return Response.json(json);
      },
    });
    const setup = await setUpHardened({ seed: 606, day: DAY1, apiBase: () => `http://127.0.0.1:${proxy.port}/wotx/` });
    upstream = setup.sim.url;
    try {
      const token = await setup.token("volunteer");
      const { server, url } = await startHardenedServer(setup, DAY1);
      running.push(server);
      const client = startClient(url, token, "volunteer-1");
      expect(await server.exited).toBe(0);
      expect(await client.exited).toBe(0);
      expect(mangled.html).toBeGreaterThan(3);
      expect(mangled.truncated).toBeGreaterThan(3);
      expect(mangled.wrongTypes).toBeGreaterThan(3);
      const retries = Number(client.stdout().match(/requests \((\d+) retries/)?.[1] ?? NaN);
      expect(retries).toBeGreaterThanOrEqual(mangled.html + mangled.truncated + mangled.wrongTypes);
      await expectOracleEqual(setup);
    } finally {
      proxy.stop(true);
      await setup.cleanup();
    }
  }, 90_000);

  test("three clients sharing one key stay under its limit together (REQUEST_LIMIT_EXCEEDED < 0.5%)", async () => {
    const setup = await setUpHardened({ seed: 607, day: DAY1, keyRps: 80, sim: { rps: 80 }, ranges: SMALL_RANGES });
    try {
      const token = await setup.token("volunteer");
      const { server, url } = await startHardenedServer(setup, DAY1);
      running.push(server);
      const clients = Array.from({ length: 3 }, (_, i) => startClient(url, token, `shared-${i + 1}`));
      expect(await server.exited).toBe(0);
      for (const client of clients) expect(await client.exited).toBe(0);
      const stats = setup.sim.stats();
      const share = stats.rateLimited / stats.requests;
      console.log(`shared key: ${stats.rateLimited} REQUEST_LIMIT_EXCEEDED of ${stats.requests} requests (${(share * 100).toFixed(2)}%)`);
      expect(stats.requests).toBeGreaterThanOrEqual(400);
      expect(share).toBeLessThan(0.005);
      await expectOracleEqual(setup);
    } finally {
      await setup.cleanup();
    }
  }, 90_000);

  test("a config file that cannot be written is reported with its path, not swallowed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-cfg-"));
    try {
      const blocker = join(dir, "a-file");
      await writeFile(blocker, "not a directory");
      const target = join(blocker, "config", "server.json");
      const init = spawnProc(["bun", "server/src/main.ts", "--init", "--config", target]);
      expect(await init.exited).not.toBe(0);
      expect(init.output()).toContain(join(blocker, "config"));
      expect(init.output()).not.toMatch(/^wrote /m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
