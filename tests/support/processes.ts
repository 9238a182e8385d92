/**
 * Real server and client processes for end-to-end tests: spawned with Bun,
 * their output kept so a failing test can show it.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "..", "..");

export interface Proc {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
  stdout(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals | number): void;
}

export function spawnProc(argv: string[], env: Record<string, string | undefined> = {}, cwd = ROOT): Proc {
  const proc = Bun.spawn(argv, { cwd, env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let text = "";
  let stdoutText = "";
  const listeners = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>, isStdout: boolean) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const piece = decoder.decode(chunk, { stream: true });
      text += piece;
      if (isStdout) stdoutText += piece;
      if (process.env.WOTC_TEST_ECHO) process.stderr.write(decoder.decode(chunk));
      for (const listener of listeners) listener();
    }
  };
  const pumps = Promise.all([pump(proc.stdout, true), pump(proc.stderr, false)]);
  return {
    proc,
    output: () => text,
    stdout: () => stdoutText,
    exited: pumps.then(() => proc.exited),
    kill: (signal = "SIGTERM") => proc.kill(signal as number),
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output so far:\n${text.slice(-4000)}`));
        }, timeoutMs);
        const onExit = proc.exited.then(() => {
          setTimeout(() => {
            if (listeners.has(check)) {
              cleanup();
              reject(new Error(`process exited (${proc.exitCode}) before printing ${pattern}; output:\n${text.slice(-4000)}`));
            }
          }, 200);
        });
        void onExit;
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

export interface ServerFixture {
  dir: string;
  configPath: string;
}

/** A temporary directory with a server config in it. */
export async function writeServerConfig(config: Record<string, unknown>): Promise<ServerFixture> {
  const dir = await mkdtemp(join(tmpdir(), "wotc-e2e-"));
  const configPath = join(dir, "server.json");
  // Keys and offload files go to the test's own directory, never the checkout's data/.
  const server = { dataDir: join(dir, "data"), ...(config.server as Record<string, unknown> | undefined) };
  await writeFile(configPath, JSON.stringify({ ...config, server }, null, 2));
  return { dir, configPath };
}

export function startServer(configPath: string, args: string[], env: Record<string, string | undefined>): Proc {
  return spawnProc(["bun", "server/src/main.ts", "--config", configPath, ...args], env);
}

/** `bun run server token add NAME`: the token is alone on the last line of stdout. */
export async function addToken(configPath: string, name: string, env: Record<string, string | undefined>): Promise<string> {
  const proc = spawnProc(["bun", "server/src/main.ts", "--config", configPath, "token", "add", name], env);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`token add exited ${code}:\n${proc.output()}`);
  const lines = proc.stdout().trim().split("\n");
  return lines[lines.length - 1]!.trim();
}

export function startClient(serverUrl: string, token: string, name: string, env: Record<string, string | undefined> = {}): Proc {
  return spawnProc(["bun", "client/src/main.ts", "--server", serverUrl, "--token", token, "--name", name], env);
}

export { ROOT };
