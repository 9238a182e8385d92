/**
 * A fuzz of the work socket: several sockets send at least 10,000 random and
 * mutated messages while a well-behaved client crawls. The server must stay
 * up, answer the bad messages with errors, keep its memory bounded, and the
 * day must still end oracle-equal.
 */
import { expect, test } from "bun:test";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { startClient } from "../support/processes";
import { DAY1, KEY, SMALL_RANGES } from "./crawl-support";
import { rssMiB, setUpHardened, startHardenedServer } from "./hardening-support";
import { MAX_MESSAGE_BYTES } from "@wotc/schema/wire/messages";

const TARGET_MESSAGES = 10_000;
const SOCKETS = 4;
/** Messages per connection, in turn: under the server's 20 strikes a minute, and one over (dropped). */
const PER_CONNECTION = [15, 21];

/** A small seeded generator, so a failing fuzz can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

const WEIRD_VALUES: unknown[] = [
  null, true, -1, 0, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, "", "x", "9".repeat(400), [], {}, [[[[[]]]]], { type: "result" },
  "\u0000", "\ud800", "<html>", Number.MAX_SAFE_INTEGER, -0,
];

/** One fuzz message: random bytes, broken JSON, or a valid-looking message with one thing wrong. */
function fuzzMessage(r: ReturnType<typeof random>, held: Set<number>): string | Uint8Array {
  const notHeld = () => {
    for (;;) {
      const id = r.int(600);
      if (!held.has(id)) return id;
    }
  };
  const row = (id: number) => [id, `p${id}`, 1_400_000_000, 1_700_000_000, 1_700_000_100, 10, 1, 1, 1, 1, 1];
  const templates = [
    () => ({ type: "result", id: notHeld(), rows: Array.from({ length: r.int(5) }, () => row(5_000 + r.int(30_000))) }),
    () => ({ type: "failed", id: notHeld(), reason: "x" }),
    () => ({ type: "stats", stats: { batchesDone: 1, batchesFailed: 0, requests: 1, retries: 0, rateLimited: 0, idsPerSecond: 1, requestsPerSecond: 1 } }),
    () => ({ type: "release", ids: [notHeld()] }),
  ];
  switch (r.int(8)) {
    case 0: // random bytes as a binary frame
      return crypto.getRandomValues(new Uint8Array(1 + r.int(2_000)));
    case 1: // random text
      return Array.from({ length: 1 + r.int(300) }, () => String.fromCharCode(r.int(0x3000))).join("");
    case 2: { // valid JSON cut short
      const text = JSON.stringify(r.pick(templates)());
      return text.slice(0, r.int(text.length));
    }
    case 3: // over the message limit (but under Bun's frame limit, so the hub must refuse it)
      return JSON.stringify({ type: "result", id: notHeld(), rows: [], pad: "y".repeat(MAX_MESSAGE_BYTES + r.int(50_000)) });
    case 4: // a result for a batch that is not the sender's (valid shape: refused by the crawl)
      return JSON.stringify(templates[0]!());
    default: { // one field replaced, removed or added, at the top or in a row
      const message = r.pick(templates)() as Record<string, any>;
      const keys = Object.keys(message);
      const how = r.int(4);
      if (how === 0) message[r.pick(keys)] = r.pick(WEIRD_VALUES);
      else if (how === 1) delete message[r.pick(keys.filter((k) => k !== "type").concat("type"))];
      else if (how === 2) message[`extra${r.int(3)}`] = r.pick(WEIRD_VALUES);
      else if (message.rows?.length) message.rows[0][r.int(12)] = r.pick(WEIRD_VALUES);
      else message.type = r.pick(["resul", "RESULT", "", 7, null]);
      // Whatever the mutation, never a valid answer for a batch the fuzzer holds, nor a valid release/stats.
      if (message.type === "stats" || message.type === "release") message.type = "stat";
      return JSON.stringify(message);
    }
  }
}

test("10,000 fuzzed messages from several sockets: server stays up, memory bounded, crawl oracle-equal", async () => {
  const setup = await setUpHardened({
    seed: 701,
    day: DAY1,
    ranges: SMALL_RANGES,
    sim: { keys: [KEY, "fuzz-key"] },
    keys: [
      { applicationId: KEY, rps: 40, clients: ["good-volunteer"] }, // keys follow the token, not the name a client sends
      // 1 request/s keeps each fuzz socket at 5 batches in flight, so none is leased more later
      { applicationId: "fuzz-key", rps: 1, clients: ["*"] },
    ],
    extra: { access: { maxConnectionsPerAddress: 32, registerPerMinute: 60 } },
  });
  const { server, url } = await startHardenedServer(setup, DAY1);
  try {
    const fuzzToken = await setup.token("fuzzer");
    const goodToken = await setup.token("good-volunteer");
    const pid = server.proc.pid;
    const baseline = await rssMiB(pid);
    let peak = baseline;
    const sampler = setInterval(() => void rssMiB(pid).then((mib) => (peak = Number.isFinite(mib) ? Math.max(peak, mib) : peak), () => {}), 50);

    let sent = 0;
    let errors = 0;
    let connections = 0;
    let dropped = 0;
    const fuzzSocket = async (seed: number) => {
      const r = random(seed);
      for (let round = 0; sent < TARGET_MESSAGES && server.proc.exitCode === null; round++) {
        const held = new Set<number>();
        let sentHere = 0;
        let repliesHere = 0;
        let leasedOrWaiting = false;
        const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/work?name=fuzz${seed}`, { headers: { authorization: `Bearer ${fuzzToken}` } } as any);
        socket.addEventListener("message", (event) => {
          const message = JSON.parse(String(event.data));
          if (message.type === "error") {
            errors++;
            repliesHere++;
          }
          if (message.type === "work") for (const batch of message.batches) held.add(batch.id);
          if (message.type === "work" || message.type === "wait") leasedOrWaiting = true;
        });
        const closed = new Promise<number>((resolve) => socket.addEventListener("close", (e) => resolve(e.code)));
        const opened = await Promise.race([new Promise<boolean>((resolve) => socket.addEventListener("open", () => resolve(true))), closed.then(() => false)]);
        if (!opened) {
          await Bun.sleep(20);
          continue;
        }
        connections++;
        // The server leases on open: wait for that, so `held` knows the leases and no fuzz message can be a
        // valid answer for one of them (a token holder that lies about its own batches cannot be detected).
        for (let wait = 0; wait < 100 && !leasedOrWaiting; wait++) await Bun.sleep(5);
        for (let i = 0; i < PER_CONNECTION[round % 2]! && socket.readyState === WebSocket.OPEN && sent < TARGET_MESSAGES; i++) {
          socket.send(fuzzMessage(r, held));
          sent++;
          sentHere++;
          if (i % 5 === 4) await Bun.sleep(1);
        }
        // Wait for the replies before closing, so each can be counted (a harmless mutation gets none).
        for (let wait = 0; wait < 50 && socket.readyState === WebSocket.OPEN && repliesHere < sentHere; wait++) await Bun.sleep(10);
        if (socket.readyState === WebSocket.OPEN) socket.close(1000, "fuzz round over");
        if ((await closed) === 1008) dropped++;
      }
    };

    const fuzzing = Promise.all(Array.from({ length: SOCKETS }, (_, i) => fuzzSocket(1000 + i)));
    const client = startClient(url, goodToken, "good");
    await fuzzing;
    clearInterval(sampler);
    const fuzzEnded = Date.now();
    expect(sent).toBeGreaterThanOrEqual(TARGET_MESSAGES);
    expect((await fetch(`${url}/api/status`)).status).toBe(200);
    const admin = await (await fetch(`${url}/api/admin/status`)).json() as any;

    expect(await server.exited).toBe(0);
    expect(await client.exited).toBe(0);
    const refused = admin.hub.invalidMessages + admin.errors.refusedResults;
    console.log(
      `fuzz: ${sent} messages over ${connections} connections (${dropped} dropped for strikes), ${errors} error replies, ` +
        `server counted ${refused} (invalid ${admin.hub.invalidMessages}, refused results ${admin.errors.refusedResults}); ` +
        `server RSS ${baseline.toFixed(0)} MiB at start, peak ${peak.toFixed(0)} MiB; run finished ${((Date.now() - fuzzEnded) / 1000).toFixed(1)} s after the fuzz`,
    );
    // Every message the server counted was answered with an error, and nearly every message sent was
    // counted (the rest: a cut-off oversized frame, or a mutation that happened to be harmless).
    expect(errors).toBe(refused);
    expect(refused).toBeGreaterThanOrEqual(sent * 0.95);
    expect(dropped).toBeGreaterThan(0);
    expect(peak).toBeLessThan(Math.max(512, baseline + 256));

    const expected = expectedDatabase(setup.world, setup.ranges, [DAY1]);
    const actual = await readSnapshot(setup.db.sql);
    expect(firstDifferences(actual.players, expected.players)).toEqual([]);
    expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
    expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
  } finally {
    server.kill("SIGKILL");
    await setup.cleanup();
  }
}, 120_000);
