/**
 * What an operator sees on a fresh checkout: `bun run server` with no config and
 * no database writes the defaults, starts the embedded PostgreSQL, migrates,
 * makes the day's partitions and says so; SIGTERM stops it and its PostgreSQL;
 * a second start uses the same data. And the clear errors for a bad config or
 * a database that is not there.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, spawnProc } from "../support/processes";

const SERVER = join(ROOT, "server/src/main.ts");

function postgresPid(dir: string): number | undefined {
  const pidFile = join(dir, "data/postgres/postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  return Number(readFileSync(pidFile, "utf8").split("\n")[0]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a fresh checkout", () => {
  const dirs: string[] = [];
  const cleanups: (() => void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) cleanup();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  test("bun run server writes a config, starts the embedded database, migrates, makes partitions; SIGTERM stops both; a restart reuses the data", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-fresh-"));
    dirs.push(dir);
    await chmod(dir, 0o755); // as a git clone would be: the postgres user must be able to enter it
    const env = { DATABASE_URL: undefined };
    const first = spawnProc(["bun", SERVER, "--date", "2026-05-01"], env, dir);
    cleanups.push(() => first.kill("SIGKILL"));
    await first.waitFor(/starting run 2026-05-01/, 90_000);
    const output = first.output();
    expect(output).toContain("no config yet: wrote config/server.json");
    expect(output).toContain("started the embedded PostgreSQL in data/postgres");
    expect(output).toContain("database ready (embedded): migrations applied");
    expect(output).toContain("partitions of total_battles and diff_battles ready for 2026-05-01");
    expect(output).toContain("applicationId is still the placeholder");
    expect(existsSync(join(dir, "config/server.example.jsonc"))).toBe(true);
    const pid = postgresPid(dir);
    expect(pid && alive(pid)).toBe(true);

    first.kill("SIGTERM");
    expect(await first.exited).toBe(143);
    expect(alive(pid!)).toBe(false);

    // In a session of its own, so a Ctrl-C can go to its whole process group as a terminal's does.
    const second = spawnProc(["setsid", "bun", SERVER, "--date", "2026-05-01"], env, dir);
    cleanups.push(() => second.kill("SIGKILL"));
    await second.waitFor(/resuming run 2026-05-01/, 90_000);
    expect(second.output()).not.toContain("no config yet");
    const secondPid = postgresPid(dir)!;
    process.kill(-second.proc.pid, "SIGINT");
    // PostgreSQL is not in that group: the server stops it itself, after its last writes.
    expect(await second.exited).toBe(130);
    expect(second.output()).not.toMatch(/ECONNREFUSED|error:/);
    expect(alive(secondPid)).toBe(false);
  }, 180_000);

  test("a bad config field is named with its path, exit 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-badconfig-"));
    dirs.push(dir);
    const path = join(dir, "server.json");
    await writeFile(
      path,
      JSON.stringify({
        wg: { keys: [{ applicationId: "k", rps: "ten", clients: ["*"] }] },
        ranges: { xbox: { min: 5000, max: 100 }, ps: { min: 1, max: 2 } },
      }),
    );
    const proc = spawnProc(["bun", SERVER, "--config", path], {}, dir);
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain("config.wg.keys.0.rps: Invalid type: Expected number but received \"ten\"");
    expect(proc.output()).toContain("config.ranges.xbox: min must be below max");
  }, 30_000);

  test("a DATABASE_URL that points nowhere fails fast with the address and the reason", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-nodb-"));
    dirs.push(dir);
    const path = join(dir, "server.json");
    await writeFile(path, JSON.stringify({ wg: { keys: [{ applicationId: "k", rps: 10, clients: ["*"] }] }, ranges: { xbox: { min: 5000, max: 6000 }, ps: { min: 1_073_740_000, max: 1_073_741_000 } } }));
    const started = performance.now();
    const proc = spawnProc(["bun", SERVER, "--config", path], { DATABASE_URL: "postgres://u:secret@127.0.0.1:1/db" }, dir);
    expect(await proc.exited).toBe(1);
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(proc.output()).toContain("cannot reach PostgreSQL at 127.0.0.1:1 (DATABASE_URL): connection refused");
    expect(proc.output()).not.toContain("secret");
  }, 30_000);
});
