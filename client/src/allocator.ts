/**
 * Bun's allocator (mimalloc) hands memory freed while the client worked back
 * to the OS each time the event loop goes idle, and at 20 requests/s the loop
 * goes idle dozens of times a second. Measured (bench client-rate, one client
 * at 20 requests/s): 5.1% of one core with it, 2.7% without, for about 5 MB
 * more RSS; in bench e2e the clients' CPU per million IDs halves too.
 *
 * The server does not: its CPU per million IDs in bench e2e fell from 7.1 s
 * to 4.1 s with purging off, but in bench full-day its peak RSS rose from
 * about 240 MB to 351 MB and kept growing (+23% from 10% to 100% of the run),
 * past the 300 MB an operator's box is promised.
 *
 * mimalloc reads its options from the environment only as the process starts,
 * so the client starts itself once more (process.execve: the same process,
 * pid and arguments) with MIMALLOC_PURGE_DELAY=-1. It does not when the
 * volunteer set the variable, on Windows (no execve), or when an updating
 * predecessor started it (its IPC channel would not survive the exec; the
 * next start then tunes it).
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

/** The command that runs this program again, or undefined when it should not (see above). */
export function tunedRestart(deps: ExecDeps): { file: string; args: string[]; env: Record<string, string | undefined> } | undefined {
  if (deps.env[PURGE_DELAY_ENV] !== undefined || deps.platform === "win32" || !deps.execve) return undefined;
  if (deps.ipc || deps.env.NODE_CHANNEL_FD !== undefined) return undefined;
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
