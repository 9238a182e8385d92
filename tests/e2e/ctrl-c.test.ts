/**
 * An operator presses Ctrl-C in the terminal mid-crawl, on the embedded
 * PostgreSQL: the signal reaches the server's whole process group, yet the
 * results the server already accepted are still written (PostgreSQL runs in a
 * session of its own and is stopped by the server after its last writes). The
 * next start resumes and the day ends oracle-equal.
 */
import { expect, test } from "bun:test";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "../../server/src/db/embedded";
import { openClient } from "../../server/src/db/client";
import { addToken, ROOT, spawnProc, startClient } from "../support/processes";
import { startSimulator } from "../support/wg-sim/server";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { DAY1, KEY, SMALL_RANGES, freePort, smallWorld, waitForStatus } from "./crawl-support";

test("Ctrl-C to the server's process group mid-crawl: accepted results are written, the resumed day is oracle-equal", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wotc-ctrlc-"));
  await chmod(dir, 0o755); // the postgres user must be able to enter it
  const world = smallWorld(909);
  const sim = startSimulator({ world, day: DAY1, keys: [KEY], rps: 40 });
  const port = await freePort();
  const configPath = join(dir, "server.json");
  await writeFile(
    configPath,
    JSON.stringify({
      server: { host: "127.0.0.1", port, progressSeconds: 1, dataDir: join(dir, "data") },
      wg: { apiBase: sim.url, keys: [{ applicationId: KEY, rps: 40, clients: ["*"] }] },
      growth: { margin: 0 },
      ranges: SMALL_RANGES,
    }),
  );
  const env = { DATABASE_URL: undefined }; // the embedded PostgreSQL under dataDir
  const url = `http://127.0.0.1:${port}`;
  const kill: (() => void)[] = [];
  try {
    const token = await addToken(configPath, "volunteer", env);
    const first = spawnProc(["setsid", "bun", join(ROOT, "server/src/main.ts"), "--config", configPath, "--date", DAY1], env, dir);
    kill.push(() => first.kill("SIGKILL"));
    await first.waitFor(/starting run/, 90_000);
    const client = startClient(url, token, "volunteer-1");
    kill.push(() => client.kill("SIGKILL"));
    await waitForStatus(url, (s) => s.run?.batches.done >= 60);

    process.kill(-first.proc.pid, "SIGINT"); // what a terminal's Ctrl-C does
    expect(await first.exited).toBe(130);
    const output = first.output();
    expect(output).toContain("SIGINT: stopping");
    expect(output).not.toMatch(/ECONNREFUSED|refused a chunk|did not take the last|error:/);

    // The volunteer's client keeps retrying and carries on with the restarted server.
    const second = spawnProc(["bun", join(ROOT, "server/src/main.ts"), "--config", configPath, "--date", DAY1], env, dir);
    kill.push(() => second.kill("SIGKILL"));
    await second.waitFor(/resuming run/, 90_000);
    expect(await second.exited).toBe(0);
    expect(await client.exited).toBe(0);

    const pg = await startEmbeddedPostgres({ dataDir: join(dir, "data") });
    const sql = openClient(pg.url, { max: 1 });
    try {
      const expected = expectedDatabase(world, SMALL_RANGES, [DAY1]);
      const actual = await readSnapshot(sql);
      expect(firstDifferences(actual.players, expected.players)).toEqual([]);
      expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
      expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
    } finally {
      await sql.end();
      await pg.stop();
    }
  } finally {
    for (const k of kill) k();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
