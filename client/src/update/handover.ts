/**
 * Re-executes the (new) executable with the same arguments and waits for it.
 * Bun cannot replace a running process image on every platform, so the old
 * process stays as a quiet parent: it passes signals on and exits with the
 * new one's code. On POSIX the child runs in its own process group so a
 * Ctrl-C reaches it once (through us), not twice; on Windows a detached child
 * would lose the console, so it shares ours, gets Ctrl-C from it directly, and
 * we only pass on what the console does not deliver.
 *
 * The child says "started" over IPC once it is running; a child that exits or
 * hangs before that failed to start, and the caller puts the old build back.
 */
import { constants } from "node:os";
import { UPDATED_FROM_ENV } from "./build-info";
import { childEnvironment } from "./self-check";

const STARTED = "wotc-started";
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export type Handover = { kind: "exited"; code: number } | { kind: "failed"; why: string };

export interface HandoverOptions {
  executable: string;
  args: string[];
  /** The version being replaced, told to the successor (it logs it). */
  from: string;
  startTimeoutMs?: number;
  platform?: NodeJS.Platform;
  /** The successor is running: the backup can go. */
  onStarted?: (ms: number) => void;
}

export async function handOver(options: HandoverOptions): Promise<Handover> {
  const began = performance.now();
  const windows = (options.platform ?? process.platform) === "win32";
  let markStarted = () => {};
  const started = new Promise<"started">((resolve) => (markStarted = () => resolve("started")));
  let child;
  try {
    child = Bun.spawn([options.executable, ...options.args], {
      env: { ...childEnvironment(), [UPDATED_FROM_ENV]: options.from },
      stdio: ["inherit", "inherit", "inherit"],
      detached: !windows,
      ipc(message) {
        if ((message as { type?: string })?.type === STARTED) markStarted();
      },
    });
  } catch (error) {
    return { kind: "failed", why: `cannot start ${options.executable}: ${(error as Error).message}` };
  }

  const saved = new Map(FORWARDED.map((signal) => [signal, process.listeners(signal)]));
  const forwarders = new Map(FORWARDED.map((signal) => [signal, windows && signal === "SIGINT" ? () => {} : () => child.kill(signal)]));
  for (const signal of FORWARDED) {
    process.removeAllListeners(signal);
    process.on(signal, forwarders.get(signal)!);
  }
  const restoreSignals = () => {
    for (const signal of FORWARDED) {
      process.off(signal, forwarders.get(signal)!);
      for (const listener of saved.get(signal)!) process.on(signal, listener as () => void);
    }
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), options.startTimeoutMs ?? 30_000)));
  const first = await Promise.race([started, child.exited.then(() => "exited" as const), timeout]);
  clearTimeout(timer);
  if (first !== "started") {
    if (first === "timeout") {
      child.kill("SIGKILL");
      await child.exited;
    }
    restoreSignals();
    const why =
      first === "timeout"
        ? `it did not report running within ${(options.startTimeoutMs ?? 30_000) / 1000} s`
        : `it exited (${describeExit(child.exitCode, child.signalCode)}) before it was running`;
    return { kind: "failed", why };
  }
  options.onStarted?.(Math.round(performance.now() - began));
  child.disconnect();
  await child.exited;
  return { kind: "exited", code: exitCodeOf(child.exitCode, child.signalCode) };
}

/** Called by the successor once it is running, so its predecessor stops waiting for a failure. */
export function tellPredecessorStarted(version: string): void {
  if (!process.send) return;
  process.send({ type: STARTED, version });
  process.disconnect?.();
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | number | null): number {
  if (code !== null) return code;
  if (typeof signal === "number") return 128 + signal;
  return 128 + ((signal && constants.signals[signal]) || 1);
}

function describeExit(code: number | null, signal: NodeJS.Signals | number | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
