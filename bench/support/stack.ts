/**
 * The whole system for benchmarks: an embedded PostgreSQL, the WG simulator,
 * a real server process and real client processes, with the server's RSS
 * sampled while it runs.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../server/src/db/embedded";
import { openClient } from "../../server/src/db/client";
import { spawnProc, type Proc } from "../../tests/support/processes";
import { databaseUrl } from "../../tests/support/db";
import { exitedCpuSeconds, ThreadSampler } from "./cpu";
import type { SimulatorStats, StartOptions } from "../../tests/support/wg-sim/server";

/**
 * `bun`, or with WOTC_BENCH_CPU_PROF=DIR set, `bun --cpu-prof` writing
 * DIR/<role>.cpuprofile and a grep-friendly DIR/<role>.md when the process exits.
 */
function bun(role: string): string[] {
  const dir = process.env.WOTC_BENCH_CPU_PROF;
  if (!dir) return ["bun"];
  return ["bun", "--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${role}`];
}

function clientCommand(executable: string | undefined, n: number): string[] {
  return executable ? [executable] : [...bun(`client-${n}`), "client/src/main.ts"];
}

export interface BenchDatabase {
  cluster: EmbeddedPostgres;
  dir: string;
  /** A fresh, empty database on the cluster; the server migrates it. */
  create(name: string): Promise<string>;
  /**
   * Drops a database once its side is measured: a million fresh rows left
   * behind draw autovacuum (and, with PG 18's checksums, the writes of its
   * hint bits) into whichever side runs next.
   */
  drop(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** A durable (fsync on) embedded PostgreSQL, as the operator's would be. */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "wotc-bench-pg-"));
  const cluster = await startEmbeddedPostgres({
    dataDir: dir,
    persistent: false,
    // drop(), `with (force)`, ends any autovacuum worker on the database: that FATAL is ours, not news
    onError: (line) => {
      if (!/terminating autovacuum process due to administrator command/.test(line)) console.error(`[postgres] ${line}`);
    },
  });
  /** One statement on a connection of its own (CREATE/DROP DATABASE cannot run in a transaction). */
  const admin = async (statement: string) => {
    const sql = openClient(cluster.url, { max: 1 });
    try {
      await sql.unsafe(statement);
    } finally {
      await sql.end();
    }
  };
  const drop = (name: string) => admin(`drop database if exists ${name} with (force)`);
  return {
    cluster,
    dir,
    async create(name) {
      await drop(name);
      await admin(`create database ${name}`);
      return databaseUrl(cluster.url, name);
    },
    drop,
    async stop() {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process in MB (Linux), or undefined once it has exited. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface RssSample {
  seconds: number;
  mb: number;
  progress: number; // share of batches committed, 0-1, when known
}

export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly pid: number,
    private readonly everyMs: number,
    private readonly progress: () => number = () => NaN,
  ) {}

  start(): this {
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  sample(): void {
    const mb = rssMb(this.pid);
    if (mb !== undefined) this.samples.push({ seconds: (performance.now() - this.started) / 1000, mb, progress: this.progress() });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get peak(): number {
    return this.samples.reduce((max, s) => Math.max(max, s.mb), 0);
  }

  /** RSS at the first sample at or past `share` of the run's progress. */
  at(share: number): number | undefined {
    return this.samples.find((s) => s.progress >= share)?.mb;
  }
}

export interface CrawlRunOptions {
  databaseUrl: string;
  apiBase: string;
  applicationId: string;
  rps: number | null;
  ranges: { xbox: { min: number; max: number }; ps: { min: number; max: number } };
  clients: number;
  date: string;
  server?: Record<string, unknown>;
  rssEveryMs?: number;
  /** Called every second with the server's /api/status while the run lasts. */
  onStatus?: (status: any) => void;
  /** Called once the client processes are spawned, with their pids. */
  onClients?: (pids: number[]) => void;
  /**
   * Each client has a token of its own, added as a new volunteer's ("new",
   * default: checked until trusted, then spot-checked) or as the operator's
   * own machine ("operator": `token add --trusted`, never checked).
   */
  trust?: "new" | "operator";
  /** verification.enabled in the server config (default true, as shipped). */
  verification?: boolean;
  /** The compiled client to run (bench/support/client-binary.ts); without it, client/src/main.ts with bun. */
  clientExecutable?: string;
}

export interface CrawlRunResult {
  /** From the first client's start to the server's exit (the crawl itself). */
  seconds: number;
  /** From the server's spawn to its exit: whole processes, as the lean reference is timed. */
  processSeconds: number;
  /** CPU seconds of the server process (its DB helper threads included) and of each client. */
  cpu: { server: number; clients: number[] };
  ids: number;
  peakRssMb: number;
  rss: RssSampler;
  serverOutput: string;
  clientOutputs: string[];
}

/** `bun run server token add NAME [--trusted]`: the token is alone on the last line of stdout. */
async function addToken(configPath: string, name: string, env: Record<string, string>, trusted: boolean): Promise<string> {
  const proc = spawnProc(["bun", "server/src/main.ts", "--config", configPath, "token", "add", name, ...(trusted ? ["--trusted"] : [])], env);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`token add exited ${code}:\n${proc.output()}`);
  return proc.stdout().trim().split("\n").at(-1)!.trim();
}

/** One complete day's crawl with real processes; resolves when the server exits 0. */
export async function runCrawl(options: CrawlRunOptions): Promise<CrawlRunResult> {
  const dir = await mkdtemp(join(tmpdir(), "wotc-bench-"));
  const configPath = join(dir, "server.json");
  await writeFile(
    configPath,
    JSON.stringify({
      server: { host: "127.0.0.1", port: 0, progressSeconds: 10, dataDir: join(dir, "data"), ...options.server },
      wg: { apiBase: options.apiBase, keys: [{ applicationId: options.applicationId, rps: options.rps, clients: ["*"] }] },
      ranges: options.ranges,
      verification: { enabled: options.verification ?? true },
    }),
  );
  const env = { DATABASE_URL: options.databaseUrl };
  const tokens: string[] = [];
  for (let i = 1; i <= options.clients; i++) tokens.push(await addToken(configPath, `bench-${i}`, env, options.trust === "operator"));
  const spawnedAt = performance.now();
  const server: Proc = spawnProc([...bun("server"), "server/src/main.ts", "--config", configPath, "--date", options.date], env);
  const port = (await server.waitFor(/listening on http:\/\/[^:]+:(\d+)/, 60_000))[1];
  const url = `http://127.0.0.1:${port}`;
  await server.waitFor(/starting run|resuming run/, 60_000);

  let progress = 0;
  const rss = new RssSampler(server.proc.pid, options.rssEveryMs ?? 500, () => progress).start();
  const poller = setInterval(async () => {
    const status: any = await fetch(`${url}/api/status`).then((r) => r.json()).catch(() => undefined);
    if (!status?.run) return;
    progress = status.run.batches.done / status.run.batches.total;
    options.onStatus?.(status);
  }, 1000);

  const threads = process.env.WOTC_BENCH_THREADS ? new ThreadSampler(server.proc.pid) : undefined;
  const started = performance.now();
  const clients = Array.from({ length: options.clients }, (_, i) =>
    spawnProc([...clientCommand(options.clientExecutable, i + 1), "--server", url, "--token", tokens[i]!, "--name", `bench-${i + 1}`]),
  );
  options.onClients?.(clients.map((c) => c.proc.pid));
  // Clients that all exit early (a refused token, a crash) would leave the server waiting for ever.
  let abandoned = false;
  void Promise.all(clients.map((c) => c.exited)).then(() => {
    const timer = setTimeout(() => {
      abandoned = true;
      server.proc.kill();
    }, 60_000);
    void server.exited.then(() => clearTimeout(timer));
  });
  const code = await server.exited;
  if (abandoned) {
    clearInterval(poller);
    rss.stop();
    throw new Error(`every client exited and the server did not finish within 60 s; the clients said:\n${clients.map((c) => c.output().slice(-1500)).join("\n---\n")}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const processSeconds = (performance.now() - spawnedAt) / 1000;
  clearInterval(poller);
  rss.stop();
  await Promise.all(clients.map((c) => c.exited));
  await rm(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`server exited ${code}:\n${server.output().slice(-3000)}`);
  const ids = Object.values(options.ranges).reduce((sum, r) => sum + r.max - r.min, 0);
  const cpu = { server: exitedCpuSeconds(server.proc), clients: clients.map((c) => exitedCpuSeconds(c.proc)) };
  if (threads) {
    const byName = threads.stop().map(([name, s]) => `${name} ${s.toFixed(2)}`);
    console.log(`server CPU s by thread (WOTC_BENCH_THREADS; last sample before each thread ended): ${byName.join(", ")}`);
  }
  return {
    seconds,
    processSeconds,
    cpu,
    ids,
    peakRssMb: rss.peak,
    rss,
    serverOutput: server.output(),
    clientOutputs: clients.map((c) => c.output()),
  };
}

export interface LeanRunOptions {
  databaseUrl: string;
  apiBase: string;
  applicationId: string;
  ranges: { xbox: { min: number; max: number }; ps: { min: number; max: number } };
  date: string;
}

export interface LeanRunResult {
  /** From spawn to exit, migrations included (the server migrates at start too). */
  seconds: number;
  ids: number;
  cpu: number;
  peakRssMb: number;
}

/** The lean reference loop (bench/support/lean-loop.ts) as one process, over the same work as runCrawl. */
export async function runLean(options: LeanRunOptions, tuning: { purgeOff?: boolean } = {}): Promise<LeanRunResult> {
  const started = performance.now();
  // As started by default (the simplest loop); `purgeOff` gives it the allocator setting server and clients give themselves (schema/allocator.ts)
  const env: Record<string, string> = tuning.purgeOff ? { MIMALLOC_PURGE_DELAY: "-1" } : {};
  const lean = spawnProc([...bun(tuning.purgeOff ? "lean-tuned" : "lean"), "bench/support/lean-loop.ts", JSON.stringify(options)], env);
  const rss = new RssSampler(lean.proc.pid, 500).start();
  const code = await lean.exited;
  const seconds = (performance.now() - started) / 1000;
  rss.stop();
  if (code !== 0) throw new Error(`the lean loop exited ${code}:\n${lean.output().slice(-3000)}`);
  const ids = Object.values(options.ranges).reduce((sum, r) => sum + r.max - r.min, 0);
  return { seconds, ids, cpu: exitedCpuSeconds(lean.proc), peakRssMb: rss.peak };
}

export interface SimulatorProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The WG simulator (`bun run sim`) in a process of its own, so its CPU is
 * counted apart from the benchmark driving the run.
 */
export async function startSimulatorProcess(options: { seed: number; day: string; keys: string[] }): Promise<SimulatorProcess> {
  const sim = spawnProc([
    ...bun("simulator"), "tests/support/wg-sim/main.ts", "--port", "0", "--seed", String(options.seed), "--day", options.day, "--keys", options.keys.join(","),
  ]);
  const url = (await sim.waitFor(/ at (http:\/\/\S+)/, 30_000))[1]!;
  return {
    url,
    pid: sim.proc.pid,
    async stop() {
      sim.kill("SIGTERM");
      await sim.exited;
    },
  };
}

export interface SimulatorThread {
  url: string;
  stats(): Promise<SimulatorStats>;
  stop(): Promise<void>;
}

/** The simulator in a Worker of this process (bench/support/sim-worker.ts), its statistics a message away. */
export async function startSimulatorThread(options: StartOptions): Promise<SimulatorThread> {
  const worker = new Worker(new URL("./sim-worker.ts", import.meta.url).href);
  const next = (type: string) =>
    new Promise<any>((resolve) => {
      const listener = (event: MessageEvent) => {
        if (event.data?.type !== type) return;
        worker.removeEventListener("message", listener);
        resolve(event.data);
      };
      worker.addEventListener("message", listener);
    });
  const started = next("started");
  worker.postMessage({ type: "start", options });
  const { url } = await started;
  return {
    url,
    async stats() {
      const reply = next("stats");
      worker.postMessage({ type: "stats" });
      return (await reply).stats;
    },
    async stop() {
      const stopped = next("stopped");
      worker.postMessage({ type: "stop" });
      await stopped;
      worker.terminate();
    },
  };
}
