/**
 * PostgreSQL stopped and started again in the middle of a run: the DB helpers
 * retry, leasing pauses meanwhile, the server's own connection (tokens,
 * ledger) comes back, and the day ends oracle-equal. The test runs its own
 * embedded PostgreSQL so it can stop it without disturbing the other suites.
 */
import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "../../server/src/db/embedded";
import { openClient } from "../../server/src/db/client";
import { migrateDatabase } from "../../server/src/db/migrate";
import { expectedDatabase } from "../support/wg-sim/oracle";
import { firstDifferences, readSnapshot } from "../support/db-snapshot";
import { databaseUrl } from "../support/db";
import { startClient } from "../support/processes";
import { DAY1, SMALL_RANGES, waitForStatus } from "./crawl-support";
import { setUpHardened, startHardenedServer } from "./hardening-support";

/** Fast shutdown of the postmaster, as `pg_ctl stop -m fast` would; resolves once it is gone. */
async function stopPostgres(clusterDir: string): Promise<void> {
  const pid = Number((await readFile(join(clusterDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 400; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await Bun.sleep(25);
  }
  throw new Error(`postmaster ${pid} did not stop`);
}

/** Starts the postmaster again with the command line it recorded (same port), as the user that owns the cluster. */
async function restartPostgres(clusterDir: string): Promise<void> {
  const opts = await readFile(join(clusterDir, "postmaster.opts"), "utf8");
  const [binary, ...args] = [...opts.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const ids = userInfo().uid === 0 ? await postgresUserIds() : {};
  const child = spawn(binary!, args, { ...ids, stdio: ["ignore", "ignore", "pipe"], detached: false });
  await new Promise<void>((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("ready to accept connections")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`postgres exited (${code}) on restart:\n${log}`)));
  });
  child.stderr!.resume();
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const id = (flag: string) => Number(Bun.spawnSync(["id", flag, "postgres"]).stdout.toString().trim());
  return { uid: id("-u"), gid: id("-g") };
}

test("PostgreSQL stopped for 4 s and restarted mid-run: leasing pauses, the run completes oracle-equal", async () => {
  const pgDir = await mkdtemp(join(tmpdir(), "wotc-restart-pg-"));
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, persistent: false, durable: false, onError: () => {} });
  const admin = openClient(pg.url, { max: 1 });
  await admin.unsafe("create database crawl");
  await admin.end();
  const url = databaseUrl(pg.url, "crawl");
  await migrateDatabase(url);

  const setup = await setUpHardened({ seed: 801, day: DAY1, keyRps: 60, sim: { rps: 60 }, ranges: SMALL_RANGES, databaseUrl: url });
  const db = openClient(url, { max: 2 });
  const { server, url: serverUrl } = await startHardenedServer(setup, DAY1);
  try {
    const token = await setup.token("volunteer");
    const clients = [startClient(serverUrl, token, "volunteer-1"), startClient(serverUrl, token, "volunteer-2")];
    await waitForStatus(serverUrl, (s) => s.run && s.run.batches.done >= 60);

    await stopPostgres(pg.clusterDir);
    const paused = await waitForStatus(serverUrl, (s) => s.run.dbTrouble !== null, 20_000);
    await Bun.sleep(1_000);
    // Leasing has paused: nothing more is handed out while the database is gone.
    const during = await waitForStatus(serverUrl, () => true);
    expect(during.run.batches.done).toBe(paused.run.batches.done);
    expect(during.run.batches.queued).toBe(paused.run.batches.queued);
    expect(during.run.batches.leased).toBeLessThanOrEqual(paused.run.batches.leased);
    await Bun.sleep(3_000);
    await restartPostgres(pg.clusterDir);

    const finished = await Promise.race([server.exited, Bun.sleep(80_000).then(() => "still running")]);
    if (finished !== 0) {
      // Say what the server and clients were doing, not just that the test timed out.
      throw new Error(
        `server ${finished === "still running" ? "did not finish" : `exited ${finished}`} after the restart:\n${server.output().slice(-4000)}\n` +
          clients.map((c, i) => `client ${i + 1}:\n${c.output().slice(-1500)}`).join("\n"),
      );
    }
    for (const client of clients) expect(await client.exited).toBe(0);
    expect(server.output()).toMatch(/database write failed .*leasing paused/);
    expect(server.output()).toContain("database writes are back; leasing resumes");
    // The server's own connection (tokens, ledger) came back too: the revocation check failed, then worked again.
    expect(server.output()).toMatch(/cannot check tokens for revocation[\s\S]*token check works again/);

    const expected = expectedDatabase(setup.world, SMALL_RANGES, [DAY1]);
    const actual = await readSnapshot(db);
    expect(firstDifferences(actual.players, expected.players)).toEqual([]);
    expect(firstDifferences(actual.totalBattles, expected.totalBattles)).toEqual([]);
    expect(firstDifferences(actual.diffBattles, expected.diffBattles)).toEqual([]);
    const [run] = await db`SELECT state FROM runs WHERE run_date = ${DAY1}`;
    expect(run?.state).toBe("complete");
  } finally {
    server.kill("SIGKILL");
    await db.end({ timeout: 1 });
    await setup.cleanup();
    await pg.stop();
    await rm(pgDir, { recursive: true, force: true });
  }
}, 120_000);
