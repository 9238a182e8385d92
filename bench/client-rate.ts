/**
 * `bun run bench client-rate [seconds] [rps] [--window S]`: clients through
 * the real server against a simulator that allows `rps` requests/s (default
 * 20) for their key, under each way WG might count that limit
 * (tests/support/wg-sim/rate-limit.ts):
 *
 * 1. one client, token bucket with one second of burst, for `seconds`
 *    (default 600): the share of R x 100 IDs/s used, the share of requests
 *    answered REQUEST_LIMIT_EXCEEDED, and the volunteer's footprint: the
 *    client's CPU as a share of one core and its RSS, from /proc;
 * 2. one client, strict sliding window (at most R in any one-second window),
 *    for `--window` seconds (default 120);
 * 3. three clients sharing the key, strict sliding window, `--window` seconds:
 *    the share used together, the 407 share, and how evenly their requests
 *    arrive (the server gives each a phase).
 *
 * 4. the floor: a bare Bun fetch-and-parse loop at the same rate against the
 *    same simulator (bench/support/fetch-floor.ts), as started, with the
 *    client's allocator setting, and with that setting sending requests in
 *    groups as the client does, for `--window` seconds each: what any Bun
 *    process pays per request here, beside what our client pays; client/bare
 *    is against the cheapest of them.
 *
 * Clients run as the compiled executable volunteers run
 * (bench/support/client-binary.ts). Each is measured over a steady window after a warm-up. Targets: rate share
 * >= 0.99 for one client, >= 0.97 for three; 407 share < 0.005; a client under
 * 2% of one core and 80 MB RSS.
 */
import { CpuWindow, ThreadWindow } from "./support/cpu";
import { rssMb, runCrawl, startBenchDatabase, startSimulatorThread, type BenchDatabase } from "./support/stack";
import type { LimiterKind } from "../tests/support/wg-sim/rate-limit";
import { spawnProc } from "../tests/support/processes";
import { PURGE_DELAY_ENV } from "@wotc/schema/allocator";
import { benchClient } from "./support/client-binary";
import { REQUESTS_PER_WAKEUP } from "../client/src/client";

const DAY = "2026-11-27";
const WARMUP_SECONDS = 5;

interface Scenario {
  name: string;
  limiter: LimiterKind;
  clients: number;
  seconds: number;
  target: number;
}

interface Measured {
  seconds: number;
  rateShare: number;
  requests: number;
  limited: number;
  /** Per client: CPU share of one core over the window, mean and peak RSS (MB). */
  footprint: { cpuShare: number; rssMeanMb: number; rssPeakMb: number; threads: [string, number][] }[];
  arrivals: number[];
}

export async function main(args: string[]): Promise<void> {
  const windowArg = args.indexOf("--window");
  const shortSeconds = windowArg >= 0 ? Number(args[windowArg + 1]) : 120;
  const positional = args.filter((_, i) => i !== windowArg && i !== windowArg + 1);
  const seconds = Number(positional[0] ?? 600);
  const rps = Number(positional[1] ?? 20);
  if (!(seconds >= 5) || !(shortSeconds >= 5) || !(rps >= 1)) {
    throw new Error(`usage: bun run bench client-rate [seconds >= 5] [rps >= 1] [--window seconds >= 5]; got ${args.join(" ")}`);
  }
  const scenarios: Scenario[] = [
    { name: "token bucket, 1 client", limiter: "token-bucket", clients: 1, seconds, target: 0.99 },
    { name: "sliding window, 1 client", limiter: "sliding-window", clients: 1, seconds: shortSeconds, target: 0.99 },
    { name: "sliding window, 3 clients sharing the key", limiter: "sliding-window", clients: 3, seconds: shortSeconds, target: 0.97 },
  ];
  console.log(`WG limit ${rps} requests/s (${rps * 100} IDs/s) for the key; each window measured after ${WARMUP_SECONDS} s of warm-up`);
  const client = await benchClient();
  console.log(client.how);
  const database = await startBenchDatabase();
  const results: { scenario: Scenario; measured: Measured }[] = [];
  try {
    for (const [i, scenario] of scenarios.entries()) {
      const measured = await measure(database, `bench_client_rate_${i}`, scenario, rps, client.executable);
      results.push({ scenario, measured });
      const m = measured;
      console.log(
        `${scenario.name}: ${m.seconds.toFixed(0)} s, ${Math.round(m.rateShare * rps * 100).toLocaleString("en-US")} IDs/s, ` +
          `${m.requests} requests, ${m.limited} answered REQUEST_LIMIT_EXCEEDED`,
      );
      console.log(`  ${tightestSecond(m.arrivals, rps)}`);
      if (scenario.clients > 1) console.log(`  ${evenness(m.arrivals, rps)}`);
      m.footprint.forEach((f, c) =>
        console.log(
          `  client ${c + 1}: ${(100 * f.cpuShare).toFixed(2)}% of one core, RSS mean ${f.rssMeanMb.toFixed(0)} MB, peak ${f.rssPeakMb.toFixed(0)} MB`,
        ),
      );
    }
  } finally {
    await database.stop();
    await client.dispose();
  }
  const floors: { how: string; cpuShare: number }[] = [];
  const tuned = { [PURGE_DELAY_ENV]: "-1" };
  const floorRuns: [how: string, env: Record<string, string>, group: number][] = [
    ["as started", {}, 1],
    ["with MIMALLOC_PURGE_DELAY=-1 (as the client runs)", tuned, 1],
    [`with MIMALLOC_PURGE_DELAY=-1, ${REQUESTS_PER_WAKEUP} requests at a time (as the client sends them)`, tuned, REQUESTS_PER_WAKEUP],
  ];
  for (const [how, env, group] of floorRuns) {
    const cpuShare = await measureFloor(rps, shortSeconds, env, group);
    floors.push({ how, cpuShare });
    console.log(`bare fetch loop at ${rps} requests/s, ${how}: ${(100 * cpuShare).toFixed(2)}% of one core over ${shortSeconds} s`);
  }
  for (const { scenario, measured } of results) {
    const limitedShare = measured.requests ? measured.limited / measured.requests : 0;
    console.log(
      `${scenario.name}: rate share = ${measured.rateShare.toFixed(3)} (target >= ${scenario.target}), ` +
        `407 share = ${limitedShare.toFixed(4)} (target < 0.005)`,
    );
  }
  const volunteer = results[0]!.measured.footprint[0]!;
  const seconds0 = results[0]!.measured.seconds;
  const byThread = volunteer.threads.filter(([, s]) => s > 0).map(([name, s]) => `${name} ${((100 * s) / seconds0).toFixed(2)}%`);
  console.log(`client CPU by thread (share of one core): ${byThread.join(", ")}`);
  const floor = Math.min(...floors.map((f) => f.cpuShare));
  console.log(
    `client at ${rps} requests/s: ${(100 * volunteer.cpuShare).toFixed(2)}% of one core (target < 2%), ` +
      `RSS peak ${volunteer.rssPeakMb.toFixed(0)} MB (target < 80 MB); client/bare fetch loop = ${(volunteer.cpuShare / floor).toFixed(2)}`,
  );
}

/** CPU share of one core of the bare fetch loop at `rps`, over `seconds` after the warm-up. */
async function measureFloor(rps: number, seconds: number, env: Record<string, string>, group: number): Promise<number> {
  const sim = await startSimulatorThread({ seed: 1, day: DAY, keys: ["rate-key"], rps: rps * 2, limiter: "token-bucket" });
  try {
    const options = { apiBase: sim.url, applicationId: "rate-key", rps, seconds: WARMUP_SECONDS + seconds + 2, group };
    const floor = spawnProc(["bun", "bench/support/fetch-floor.ts", JSON.stringify(options)], env);
    await Bun.sleep(WARMUP_SECONDS * 1000);
    const window = new CpuWindow(floor.proc.pid);
    const from = performance.now();
    await Bun.sleep(seconds * 1000);
    const cpu = window.stop();
    const elapsed = (performance.now() - from) / 1000;
    const code = await floor.exited;
    if (code !== 0) throw new Error(`the bare fetch loop exited ${code}:\n${floor.output().slice(-2000)}`);
    return cpu / elapsed;
  } finally {
    await sim.stop();
  }
}

async function measure(database: BenchDatabase, name: string, scenario: Scenario, rps: number, clientExecutable: string | undefined): Promise<Measured> {
  // Enough IDs that the run outlasts warm-up + window by a margin.
  const batches = Math.ceil(rps * (WARMUP_SECONDS + scenario.seconds + 15));
  const half = Math.ceil(batches / 2) * 100;
  const ranges = { xbox: { min: 5_000, max: 5_000 + half }, ps: { min: 1_073_740_000, max: 1_073_740_000 + half } };
  // on its own thread: the moment a request is counted must not wait for this benchmark's own work
  const sim = await startSimulatorThread({ seed: 1, day: DAY, keys: ["rate-key"], rps, limiter: scenario.limiter, recordArrivals: true });
  let pids: number[] = [];
  let first:
    | { at: number; ids: number; requests: number; limited: number; arrivals: number; cpu: CpuWindow[]; threads: ThreadWindow[] }
    | undefined;
  let last: { at: number; ids: number; requests: number; limited: number; arrivals: number; cpu: number[]; threads: [string, number][][] } | undefined;
  const rss: number[][] = [];
  try {
    const url = await database.create(name);
    let startedAt: number | undefined;
    await runCrawl({
      databaseUrl: url,
      apiBase: sim.url,
      applicationId: "rate-key",
      rps,
      ranges,
      clients: scenario.clients,
      date: DAY,
      // the operator's own clients: no second opinions, so the requests are the pacing's alone
      trust: "operator",
      clientExecutable,
      rssEveryMs: 5_000,
      onClients: (spawned) => {
        pids = spawned;
        for (let i = 0; i < pids.length; i++) rss.push([]);
      },
      onStatus: async () => {
        const now = performance.now();
        startedAt ??= now;
        const elapsed = (now - startedAt) / 1000;
        if (elapsed < WARMUP_SECONDS || (first && elapsed > WARMUP_SECONDS + scenario.seconds)) return;
        const s = await sim.stats();
        const sample = { at: now, ids: s.idsAnswered, requests: s.requests, limited: s.rateLimited, arrivals: s.arrivals.length };
        if (!first) first = { ...sample, cpu: pids.map((pid) => new CpuWindow(pid)), threads: pids.map((pid) => new ThreadWindow(pid)) };
        else last = { ...sample, cpu: first.cpu.map((window) => window.stop()), threads: first.threads.map((window) => window.stop()) };
        pids.forEach((pid, i) => {
          const mb = rssMb(pid);
          if (mb !== undefined) rss[i]!.push(mb);
        });
      },
    });
    if (!first || !last) throw new Error(`${scenario.name}: the run ended before the measuring window`);
    const seconds = (last.at - first.at) / 1000;
    const arrivals = (await sim.stats()).arrivals.slice(first.arrivals, last.arrivals);
    return {
      seconds,
      rateShare: (last.ids - first.ids) / seconds / (rps * 100),
      requests: last.requests - first.requests,
      limited: last.limited - first.limited,
      footprint: last.cpu.map((cpu, i) => ({
        cpuShare: cpu / seconds,
        rssMeanMb: rss[i]!.reduce((a, b) => a + b, 0) / Math.max(1, rss[i]!.length),
        rssPeakMb: Math.max(...rss[i]!),
        threads: last!.threads[i]!,
      })),
      arrivals,
    };
  } finally {
    await sim.stop();
  }
}

/** The shortest span of rps + 1 consecutive arrivals: a strict window refuses one whenever it is under a second. */
function tightestSecond(arrivals: number[], rps: number): string {
  const n = Math.floor(rps);
  let tightest = Infinity;
  let under = 0;
  for (let k = n; k < arrivals.length; k++) {
    const span = arrivals[k]! - arrivals[k - n]!;
    tightest = Math.min(tightest, span);
    if (span < 1000) under++;
  }
  return `${n + 1} consecutive arrivals spanned at least ${tightest.toFixed(1)} ms (${under} spans under 1000 ms)`;
}

/** How evenly requests reach WG: gaps far below the even spacing mean clients bunch up. */
function evenness(arrivals: number[], rps: number): string {
  const even = 1000 / rps;
  const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
  const tight = gaps.filter((g) => g < even / 4).length;
  let busiest = 0;
  for (let i = 0, j = 0; i < arrivals.length; i++) {
    while (arrivals[i]! - arrivals[j]! >= 100) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  return (
    `arrivals at the simulator: ${((100 * tight) / Math.max(1, gaps.length)).toFixed(1)}% of gaps under a quarter of the even spacing ` +
    `(${even.toFixed(0)} ms); the busiest 100 ms held ${busiest} requests (evenly spread: ${Math.ceil(rps / 10)})`
  );
}
