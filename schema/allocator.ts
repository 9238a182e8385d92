/**
 * Bun's allocator (mimalloc) hands memory freed while a process works back to
 * the OS each time the event loop goes idle, and both our processes idle many
 * times a second: a client at 20 requests/s between requests, the server
 * between WebSocket messages. Both start themselves once more with purging
 * off. Measured:
 *
 * - client (bench client-rate, one client at 20 requests/s): 5.1% of one core
 *   with purging, 2.7% without, for about 5 MB more RSS; in bench e2e its CPU
 *   per million IDs halved too.
 * - server (bench e2e, WOTC_BENCH_THREADS=1, 2M IDs): 7.4 CPU s per million
 *   IDs with purging, 3.4 without; the allocator's scavenger thread alone took
 *   2.4 s of the run, and the main thread and the DB helpers each lost a third
 *   of their CPU to faulting freed pages back in. In bench full-day its peak
 *   RSS is 270 MB (+7% from 10% to 100% of the run). Before results came as
 *   binary frames (schema/wire/result-frame.ts) the same setting left it at
 *   351 MB and still growing: the JSON rows of every result were most of what
 *   it allocated and freed.
 *
 * mimalloc reads its options from the environment only as the process starts,
 * so the process starts itself once more (process.execve: the same process,
 * pid and arguments) with MIMALLOC_PURGE_DELAY=-1. It does not when the user
 * set the variable, on Windows (no execve), under Bun's profiler or inspector
 * (the exec kills it), or when an updating predecessor started it (its IPC
 * channel would not survive the exec; the next start then tunes it).
 */
export const PURGE_DELAY_ENV = "MIMALLOC_PURGE_DELAY";

export interface ExecDeps {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  execPath: string;
  execArgv: string[];
  argv: string[];
  /** Bun.main: `/$bunfs/…` (or `B:\~BUN\…` on Windows) in a compiled executable. */
  main: string;
  /** An IPC channel to the process that started this one (process.send exists). */
  ipc: boolean;
  execve?: (file: string, args: string[], env: Record<string, string | undefined>) => void;
}

const UNDER_A_TOOL = /^--(cpu-prof|heap-prof|inspect)/;

/** The command that runs this program again, or undefined when it should not (see above). */
export function tunedRestart(deps: ExecDeps): { file: string; args: string[]; env: Record<string, string | undefined> } | undefined {
  if (deps.env[PURGE_DELAY_ENV] !== undefined || deps.platform === "win32" || !deps.execve) return undefined;
  if (deps.ipc || deps.env.NODE_CHANNEL_FD !== undefined) return undefined;
  // Bun started under its profiler or inspector dies in the exec (measured: exit by signal, no profile written)
  if (deps.execArgv.some((flag) => UNDER_A_TOOL.test(flag))) return undefined;
  const compiled = deps.main.startsWith("/$bunfs/") || deps.main.includes("~BUN");
  // a compiled client is its own runtime: argv[1] names the embedded entry point, not a file to run
  const program = compiled ? [] : [...deps.execArgv, deps.argv[1]!];
  return { file: deps.execPath, args: [deps.execPath, ...program, ...deps.argv.slice(2)], env: { ...deps.env, [PURGE_DELAY_ENV]: "-1" } };
}

/** Restarts this process with the tuned allocator, if it should; returns only when it does not. */
export function restartWithTunedAllocator(): void {
  const execve = (process as unknown as { execve?: ExecDeps["execve"] }).execve;
  const restart = tunedRestart({
    env: process.env,
    platform: process.platform,
    execPath: process.execPath,
    execArgv: process.execArgv,
    argv: process.argv,
    main: Bun.main,
    ipc: typeof process.send === "function",
    execve: execve?.bind(process),
  });
  if (!restart) return;
  try {
    execve!.call(process, restart.file, restart.args, restart.env);
  } catch {
    // an exec that fails leaves this process as it was: it runs untuned
  }
}
