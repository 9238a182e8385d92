/**
 * CPU seconds per process, from the kernel's own accounting, so a benchmark
 * can judge a change by the work it costs rather than by wall-clock time on a
 * shared machine.
 *
 * - A live process: utime + stime from /proc/<pid>/stat.
 * - A process we spawned, once it has exited: its rusage (the same counters;
 *   /proc/<pid> is gone once it is reaped). Threads (Bun Workers) are included.
 * - PostgreSQL backends: not our children, and they exit when their
 *   connection closes. PgCpuMeter samples the postmaster's children a few
 *   times a second and groups them by the database in their process title;
 *   whatever the samples cannot attribute (background processes, the share a
 *   backend spent after its last sample) is reported as the rest of the tree.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** Linux's USER_HZ; `getconf CLK_TCK` answers 100 on every architecture Bun runs on. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime of the process itself, seconds. */
  self: number;
  /** cutime + cstime: children it has reaped, seconds. */
  children: number;
}

/** The fields after the command name (which may hold spaces and parentheses). */
function readStat(pid: number, file = `/proc/${pid}/stat`): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state) of proc(5): ppid is 4, utime 14, stime 15, cutime 16, cstime 17
  const at = (field: number) => Number(fields[field - 3]);
  return { ppid: at(4), self: (at(14) + at(15)) / TICKS_PER_SECOND, children: (at(16) + at(17)) / TICKS_PER_SECOND };
}

/** CPU seconds a live process has used so far, or undefined once it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  return readStat(pid)?.self;
}

/** CPU seconds of a spawned process after it exited (user + system, its threads included). */
export function exitedCpuSeconds(proc: Subprocess): number {
  const usage = proc.resourceUsage();
  if (!usage) throw new Error(`process ${proc.pid} has not exited: no resource usage yet`);
  return Number(usage.cpuTime.total) / 1e6;
}

/** CPU a live process used between start() and stop(). */
export class CpuWindow {
  private readonly startedAt: number;
  constructor(private readonly pid: number) {
    this.startedAt = cpuSecondsOf(pid) ?? NaN;
  }
  stop(): number {
    return (cpuSecondsOf(this.pid) ?? NaN) - this.startedAt;
  }
}

/** `postgres: user dbname 127.0.0.1(5432) idle` → dbname; undefined for background processes. */
function backendDatabase(pid: number): string | undefined {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return undefined;
  }
  const match = cmdline.match(/^postgres: (\S+) (\S+) \S+\(\d+\)/);
  return match?.[2];
}

function childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && readStat(pid)?.ppid === ppid) pids.push(pid);
  }
  return pids;
}

export interface PgCpu {
  /** CPU seconds of the backends connected to each database, over the window. */
  byDatabase: Map<string, number>;
  /** Everything else the cluster spent: WAL writer, checkpointer, autovacuum, unsampled tails. */
  rest: number;
  total: number;
}

/**
 * The postmaster and its children between start() and stop(). Total =
 * Δ postmaster (itself + reaped children) + Δ of the children alive at either end.
 */
export class PgCpuMeter {
  private readonly seen = new Map<number, { db: string | undefined; first: number; last: number }>();
  private aliveNow = new Set<number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private startTotal = 0;

  constructor(
    private readonly postmasterPid: number,
    private readonly everyMs = 200,
  ) {}

  /** The postmaster's pid from the first line of `<clusterDir>/postmaster.pid`. */
  static forCluster(clusterDir: string, everyMs?: number): PgCpuMeter {
    const pid = Number.parseInt(readFileSync(join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0]!, 10);
    return new PgCpuMeter(pid, everyMs);
  }

  start(): this {
    this.seen.clear();
    this.sample(true);
    this.startTotal = this.treeTotal();
    this.timer = setInterval(() => this.sample(false), this.everyMs);
    return this;
  }

  stop(): PgCpu {
    clearInterval(this.timer);
    this.sample(false);
    const total = this.treeTotal() - this.startTotal;
    const byDatabase = new Map<string, number>();
    for (const { db, first, last } of this.seen.values()) {
      if (db === undefined) continue;
      byDatabase.set(db, (byDatabase.get(db) ?? 0) + last - first);
    }
    const attributed = [...byDatabase.values()].reduce((a, b) => a + b, 0);
    return { byDatabase, rest: total - attributed, total };
  }

  /** Children first seen after start() count from zero: they were born in the window. */
  private sample(atStart: boolean): void {
    const alive = new Set<number>();
    for (const pid of childrenOf(this.postmasterPid)) {
      const stat = readStat(pid);
      if (!stat) continue;
      alive.add(pid);
      const known = this.seen.get(pid);
      if (known) known.last = stat.self;
      else this.seen.set(pid, { db: backendDatabase(pid), first: atStart ? stat.self : 0, last: stat.self });
    }
    this.aliveNow = alive;
  }

  private treeTotal(): number {
    const postmaster = readStat(this.postmasterPid);
    if (!postmaster) throw new Error(`PostgreSQL postmaster ${this.postmasterPid} is gone`);
    let total = postmaster.self + postmaster.children;
    for (const pid of this.aliveNow) total += readStat(pid)?.self ?? 0;
    return total;
  }
}

/**
 * CPU seconds per thread name of a live process (main JS thread `bun`, DB
 * helper Workers, JIT, GC, mimalloc's scavenger, the HTTP client thread),
 * sampled a few times a second so that threads which end before the process
 * (a Worker that was stopped) are still counted up to their last sample.
 */
export class ThreadSampler {
  private readonly threads = new Map<number, { name: string; cpu: number }>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      return;
    }
    for (const entry of tids) {
      const tid = Number(entry);
      const stat = readStat(tid, `/proc/${this.pid}/task/${tid}/stat`);
      if (!stat) continue;
      let name = this.threads.get(tid)?.name;
      if (name === undefined) {
        try {
          name = readFileSync(`/proc/${this.pid}/task/${tid}/comm`, "utf8").trim();
        } catch {
          continue;
        }
      }
      this.threads.set(tid, { name, cpu: stat.self });
    }
  }

  /** Seconds by thread name, largest first. */
  stop(): [name: string, seconds: number][] {
    clearInterval(this.timer);
    const byName = new Map<string, number>();
    for (const { name, cpu } of this.threads.values()) byName.set(name, (byName.get(name) ?? 0) + cpu);
    return [...byName].sort((a, b) => b[1] - a[1]);
  }
}

/** CPU seconds by thread name of a live process between construction and stop(). */
export class ThreadWindow {
  private readonly before: Map<number, { name: string; cpu: number }>;

  constructor(private readonly pid: number) {
    this.before = threadsOf(pid);
  }

  stop(): [name: string, seconds: number][] {
    const byName = new Map<string, number>();
    for (const [tid, { name, cpu }] of threadsOf(this.pid)) {
      byName.set(name, (byName.get(name) ?? 0) + cpu - (this.before.get(tid)?.cpu ?? 0));
    }
    return [...byName].sort((a, b) => b[1] - a[1]);
  }
}

function threadsOf(pid: number): Map<number, { name: string; cpu: number }> {
  const threads = new Map<number, { name: string; cpu: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const entry of tids) {
    const tid = Number(entry);
    const stat = readStat(tid, `/proc/${pid}/task/${tid}/stat`);
    if (!stat) continue;
    let name = "?";
    try {
      name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
    } catch {}
    threads.set(tid, { name, cpu: stat.self });
  }
  return threads;
}
