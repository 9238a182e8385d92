/**
 * `bun run bench e2e [IDs] [clients] [--runs N] [--operator | --no-verification]`: the whole system on loopback with no
 * API limit (server, embedded PostgreSQL with fsync on, N client processes,
 * the WG simulator in its own process) against the lean reference loop
 * (bench/support/lean-loop.ts) on the same simulator, schema and run date, in
 * the same minute. Default 2,000,000 IDs and 2 clients.
 *
 * Both are timed as whole processes from spawn to exit. Because wall-clock
 * time on a shared machine is noisy, it also prints the CPU seconds per
 * million IDs of every process (server, each client, the PostgreSQL backends
 * serving each side, the simulator): a change can be judged by those alone.
 * The clients are new volunteers (their own tokens, checked until trusted,
 * then spot-checked: every check of the trust issue on); `--operator` makes
 * them the operator's own machines (never checked), `--no-verification`
 * switches checking off.
 * The server and the clients start themselves with mimalloc's purging off
 * (schema/allocator.ts); the lean loop runs as started, and then once more
 * with the same setting ("lean, tuned"), so what the setting gives is not
 * counted as our code's.
 * Clients run as the compiled executable volunteers run
 * (bench/support/client-binary.ts). The three runs repeat `--runs` times
 * (default 3), interleaved, since one run's ratio spreads by about +-0.1 here.
 * Last line: `e2e/lean = X.XX` (IDs/s of the system over the lean loop's, as
 * started; the median of the runs).
 * Target: >= 0.80; server + clients <= 2x the lean loop's CPU per million IDs.
 */
import { openClient } from "../server/src/db/client";
import { CpuWindow, PgCpuMeter, type PgCpu } from "./support/cpu";
import { runCrawl, runLean, startBenchDatabase, startSimulatorProcess, type BenchDatabase, type SimulatorProcess } from "./support/stack";
import { benchClient } from "./support/client-binary";

const DAY = "2026-11-27";
const KEY = "bench-key";

export async function main(args: string[]): Promise<void> {
  const flags = new Set(args.filter((a) => a.startsWith("--") && !a.startsWith("--runs")));
  const runsAt = args.findIndex((a) => a === "--runs");
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
  const positional = args.filter((a, i) => !a.startsWith("--") && (runsAt < 0 || i !== runsAt + 1));
  const ids = Number(positional[0] ?? 2_000_000);
  const clients = Number(positional[1] ?? 2);
  const trust = flags.has("--operator") ? "operator" : "new";
  const verification = !flags.has("--no-verification");
  if (!(ids >= 200) || !Number.isInteger(clients) || clients < 1 || !Number.isInteger(runs) || runs < 1) {
    throw new Error(`usage: bun run bench e2e [IDs >= 200] [clients >= 1] [--runs N >= 1] [--operator | --no-verification]; got ${args.join(" ")}`);
  }
  const half = Math.floor(ids / 2 / 100) * 100;
  const ranges = { xbox: { min: 5_000, max: 5_000 + half }, ps: { min: 1_073_740_000, max: 1_073_740_000 + half } };
  const client = await benchClient();
  const database = await startBenchDatabase();
  const sim = await startSimulatorProcess({ seed: 1, day: DAY, keys: [KEY] });
  const pg = PgCpuMeter.forCluster(database.cluster.clusterDir);
  try {
    await warmUp(sim.url);
    const checks = !verification ? "verification off" : trust === "operator" ? "the operator's own clients (never checked)" : "new volunteers (checked until trusted, then spot-checked)";
    console.log(`e2e: ${(2 * half).toLocaleString("en-US")} IDs, ${clients} client${clients > 1 ? "s" : ""}, ${checks}, run date ${DAY}, simulator at ${sim.url}`);
    console.log(`${client.how}; ${runs} run${runs > 1 ? "s" : ""}, each the system, then the lean loop, then the lean loop tuned`);
    const rounds: RoundFigures[] = [];
    for (let n = 1; n <= runs; n++) {
      if (runs > 1) console.log(`-- run ${n} of ${runs}`);
      rounds.push(await round(`${n}`, { database, sim, pg, ranges, clients, trust, verification, clientExecutable: client.executable }));
    }
    console.log(
      `note: server and clients restart themselves with mimalloc's purging off (schema/allocator.ts); the lean loop runs as started, and tuned with the same setting` +
        (process.env.MIMALLOC_PURGE_DELAY ? ` (here MIMALLOC_PURGE_DELAY=${process.env.MIMALLOC_PURGE_DELAY} for all)` : "") +
        `; the lean loop computes the day's statistics at its end, as the server does`,
    );
    console.log(`context: the original Python system did ~11,600 IDs/s on this kind of machine (1 client, 400,000 IDs, against a simulator)`);
    if (runs > 1) {
      // One run's ratio spreads by +-0.1 on this 2-core machine; the median of interleaved runs is the figure to judge
      const list = (pick: (r: RoundFigures) => number) => rounds.map((r) => pick(r).toFixed(2)).join(", ");
      console.log(`runs: e2e/lean ${list((r) => r.ratio)}; e2e/lean tuned ${list((r) => r.tunedRatio)}; server + clients / lean CPU ${list((r) => r.cpuRatio)}`);
      console.log(`medians of ${runs} runs: server + clients = ${median(rounds.map((r) => r.cpuRatio)).toFixed(2)}x the lean process's CPU (target <= 2)`);
    }
    console.log(`e2e/lean tuned = ${median(rounds.map((r) => r.tunedRatio)).toFixed(2)}`);
    console.log(`e2e/lean = ${median(rounds.map((r) => r.ratio)).toFixed(2)}`);
  } finally {
    await sim.stop();
    await database.stop();
    await client.dispose();
  }
}

interface RoundFigures {
  /** IDs/s of the system over the lean loop's, as started. */
  ratio: number;
  tunedRatio: number;
  /** CPU s of server + clients over the lean process's. */
  cpuRatio: number;
}

interface RoundSetup {
  database: BenchDatabase;
  sim: SimulatorProcess;
  pg: PgCpuMeter;
  ranges: { xbox: { min: number; max: number }; ps: { min: number; max: number } };
  clients: number;
  trust: "new" | "operator";
  verification: boolean;
  clientExecutable?: string;
}

/** The system, the lean loop and the tuned lean loop, one after the other on fresh databases; prints their figures. */
async function round(name: string, setup: RoundSetup): Promise<RoundFigures> {
  const { database, sim, pg, ranges, clients, trust, verification, clientExecutable } = setup;
  /** One side on a fresh database, with the CPU of its PostgreSQL backends and of the simulator meanwhile. */
  const measure = async <T>(db: string, run: (url: string) => Promise<T>) => {
    const url = await freshDatabase(database, db);
    const simCpu = new CpuWindow(sim.pid);
    pg.start();
    const result = await run(url);
    const figures = { result, pg: pg.stop(), sim: simCpu.stop() };
    await database.drop(db);
    return figures;
  };
  const systemDb = `bench_e2e_system_${name}`;
  const leanDb = `bench_e2e_lean_${name}`;
  const tunedDb = `bench_e2e_lean_tuned_${name}`;
  const { result: system, pg: systemPg, sim: systemSim } = await measure(systemDb, (databaseUrl) =>
    runCrawl({ databaseUrl, apiBase: sim.url, applicationId: KEY, rps: null, ranges, clients, date: DAY, trust, verification, clientExecutable }),
  );
  const { result: lean, pg: leanPg, sim: leanSim } = await measure(leanDb, (databaseUrl) =>
    runLean({ databaseUrl, apiBase: sim.url, applicationId: KEY, ranges, date: DAY }),
  );
  const { result: tuned, pg: tunedPg, sim: tunedSim } = await measure(tunedDb, (databaseUrl) =>
    runLean({ databaseUrl, apiBase: sim.url, applicationId: KEY, ranges, date: DAY }, { purgeOff: true }),
  );

  const systemRate = system.ids / system.processSeconds;
  const leanRate = lean.ids / lean.seconds;
  const tunedRate = tuned.ids / tuned.seconds;
  const perMillion = (seconds: number) => seconds / (system.ids / 1e6);
  console.log(
    `system: ${system.processSeconds.toFixed(1)} s from spawn to exit (crawl ${system.seconds.toFixed(1)} s) = ` +
      `${fmt(systemRate)} IDs/s, server peak RSS ${system.peakRssMb.toFixed(0)} MB`,
  );
  console.log(`lean:   ${lean.seconds.toFixed(1)} s from spawn to exit = ${fmt(leanRate)} IDs/s, peak RSS ${lean.peakRssMb.toFixed(0)} MB`);
  console.log(`lean, tuned: ${tuned.seconds.toFixed(1)} s from spawn to exit = ${fmt(tunedRate)} IDs/s, peak RSS ${tuned.peakRssMb.toFixed(0)} MB`);
  printCpuTable(
    [
      ["server / lean process", system.cpu.server, lean.cpu, tuned.cpu],
      ...system.cpu.clients.map((cpu, i): CpuRow => [`client ${i + 1}`, cpu, undefined, undefined]),
      ["PostgreSQL backends", backends(systemPg, systemDb), backends(leanPg, leanDb), backends(tunedPg, tunedDb)],
      ["PostgreSQL, rest of the cluster", systemPg.total - backends(systemPg, systemDb), leanPg.total - backends(leanPg, leanDb), tunedPg.total - backends(tunedPg, tunedDb)],
      ["simulator", systemSim, leanSim, tunedSim],
    ],
    perMillion,
  );
  const ours = system.cpu.server + system.cpu.clients.reduce((a, b) => a + b, 0);
  console.log(
    `server + clients: ${perMillion(ours).toFixed(2)} CPU s per million IDs = ${(ours / lean.cpu).toFixed(2)}x the lean process's (target <= 2), ` +
      `${(ours / tuned.cpu).toFixed(2)}x the tuned lean process's`,
  );
  console.log(`run ${name}: e2e/lean = ${(systemRate / leanRate).toFixed(2)}, e2e/lean tuned = ${(systemRate / tunedRate).toFixed(2)}`);
  return { ratio: systemRate / leanRate, tunedRatio: systemRate / tunedRate, cpuRatio: ours / lean.cpu };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

type CpuRow = [label: string, system: number, lean: number | undefined, tuned: number | undefined];

function printCpuTable(rows: CpuRow[], perMillion: (seconds: number) => number): void {
  const width = Math.max(...rows.map((r) => r[0].length));
  const cell = (seconds: number | undefined) => (seconds === undefined ? "" : perMillion(seconds).toFixed(2)).padStart(8);
  console.log(`CPU s per million IDs${" ".repeat(Math.max(0, width - 19))}   system     lean    tuned`);
  for (const [label, system, lean, tuned] of rows) console.log(`  ${label.padEnd(width)} ${cell(system)} ${cell(lean)} ${cell(tuned)}`);
}

function backends(pg: PgCpu, database: string): number {
  return pg.byDatabase.get(database) ?? 0;
}

/** An empty database, after a checkpoint, so neither side pays for the other's dirty pages. */
async function freshDatabase(database: BenchDatabase, name: string): Promise<string> {
  const url = await database.create(name);
  const admin = openClient(database.cluster.url, { max: 1 });
  await admin`checkpoint`;
  await admin.end();
  return url;
}

/** The simulator's JIT warms up before either side is measured, not during whichever runs first. */
async function warmUp(apiBase: string): Promise<void> {
  const lane = async (lane: number) => {
    for (let i = 0; i < 50; i++) {
      const start = 5_000 + (lane * 50 + i) * 100;
      const ids = Array.from({ length: 100 }, (_, k) => start + k).join(",");
      await fetch(`${apiBase}account/info/?application_id=${KEY}&account_id=${ids}`).then((r) => r.text());
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, i) => lane(i)));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
