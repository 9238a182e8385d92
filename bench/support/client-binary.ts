/**
 * The client as a volunteer runs it: the executable `bun run build:client`
 * compiles for this machine, built once per benchmark (about 2 s) into a
 * temporary directory, signed with a throwaway key. A volunteer's footprint is
 * that executable's, not that of `bun client/src/main.ts` (which also holds
 * Bun's transpiler and the sources it read); measured in bench client-rate at
 * 20 requests/s for 600 s they came out alike (RSS peak 77-78 MB compiled,
 * 77-80 MB from source).
 *
 * WOTC_BENCH_CLIENT=source runs clients from source; profiling
 * (WOTC_BENCH_CPU_PROF) always does, since `bun --cpu-prof` takes a source file.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { targetOf } from "@wotc/schema/wire/client-manifest";
import { spawnProc } from "../../tests/support/processes";

export interface BenchClient {
  /** The compiled client, or undefined to run client/src/main.ts with bun. */
  executable?: string;
  /** How the clients run, for the benchmark's first lines. */
  how: string;
  dispose(): Promise<void>;
}

export async function benchClient(env: Record<string, string | undefined> = process.env): Promise<BenchClient> {
  if (env.WOTC_BENCH_CPU_PROF) return { how: "clients run from source (bun --cpu-prof needs the sources)", dispose: async () => {} };
  if (env.WOTC_BENCH_CLIENT === "source") return { how: "clients run from source (WOTC_BENCH_CLIENT=source)", dispose: async () => {} };
  if (env.WOTC_BENCH_CLIENT !== undefined) throw new Error(`WOTC_BENCH_CLIENT=${env.WOTC_BENCH_CLIENT}: the only value is "source" (unset: the compiled client)`);
  const target = targetOf(process.platform, process.arch);
  if (!target) throw new Error(`no client target for ${process.platform}-${process.arch}; set WOTC_BENCH_CLIENT=source to run clients from source`);
  const dir = await mkdtemp(join(tmpdir(), "wotc-bench-client-"));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const build = spawnProc(["bun", "client/build.ts", "--target", target, "--signing-key", join(dir, "signing-key.pem"), "--create-key", "--out", dir]);
    const code = await build.exited;
    if (code !== 0) throw new Error(`building the client for ${target} exited ${code}:\n${build.output().slice(-2000)}`);
    const file = (await readdir(dir)).find((name) => name.startsWith("wotc-client-") && name.endsWith(target));
    if (!file) throw new Error(`building the client for ${target} left no executable in ${dir}:\n${build.output().slice(-2000)}`);
    return { executable: join(dir, file), how: `clients run as the compiled executable (${file}), as volunteers run them`, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
