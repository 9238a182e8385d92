/** The embedded PostgreSQL the server starts when no database URL is configured. */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openClient } from "../../server/src/db/client.ts";
import { startEmbeddedPostgres } from "../../server/src/db/embedded.ts";

const root = await mkdtemp(join(tmpdir(), "wotc-embedded-"));
await chmod(root, 0o711); // when we are root, postgres runs as the postgres user and must enter it
const leftovers: number[] = [];
afterAll(async () => {
  for (const pid of leftovers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  await rm(root, { recursive: true, force: true });
}, 60_000);

const postmasterPid = (dataDir: string) => Number(readFileSync(join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0]);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

test("starts, keeps its data across a stop and a start on the same directory, and really stops", async () => {
  const dataDir = join(root, "restart");
  const first = await startEmbeddedPostgres({ dataDir, durable: false });
  const pid = postmasterPid(dataDir);
  let sql = openClient(first.url, { max: 1 });
  await sql`create table kept (v text)`;
  await sql`insert into kept values ('still here')`;
  await sql.end();
  await first.stop();
  await first.stop(); // twice is harmless
  expect(alive(pid)).toBe(false);
  expect(existsSync(join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
  expect(statSync(join(dataDir, "postgres.password")).mode & 0o777).toBe(0o600);

  const second = await startEmbeddedPostgres({ dataDir, durable: false });
  try {
    sql = openClient(second.url, { max: 1 });
    expect([...(await sql`select v from kept`)]).toEqual([{ v: "still here" }]);
    await sql.end();
  } finally {
    await second.stop();
  }
});

test("a postgres left running by a SIGKILLed server is stopped and started afresh; one still in use is refused", async () => {
  const dataDir = join(root, "orphan");
  const script = join(root, "child.ts");
  await writeFile(
    script,
    `import { startEmbeddedPostgres } from ${JSON.stringify(join(import.meta.dir, "../../server/src/db/embedded.ts"))};
     await startEmbeddedPostgres({ dataDir: process.argv[2], durable: false });
     console.log("READY");
     setInterval(() => {}, 1000);`,
  );
  const child = Bun.spawn(["bun", script, dataDir], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("READY")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child exited before starting postgres: ${out}`);
    out += new TextDecoder().decode(value);
  }
  const orphan = postmasterPid(dataDir);
  leftovers.push(orphan);

  await expect(startEmbeddedPostgres({ dataDir, durable: false })).rejects.toThrow(
    `the embedded PostgreSQL in ${join(dataDir, "postgres")} is in use by process ${child.pid}`,
  );

  child.kill("SIGKILL");
  await child.exited;
  expect(alive(orphan)).toBe(true);

  const server = await startEmbeddedPostgres({ dataDir, durable: false });
  try {
    expect(alive(orphan)).toBe(false);
    const sql = openClient(server.url, { max: 1 });
    expect([...(await sql`select 1 as ok`)]).toEqual([{ ok: 1 }]);
    await sql.end();
  } finally {
    await server.stop();
  }
});

test.skipIf(process.getuid?.() !== 0)("as root, a data directory the postgres user cannot reach is named in the error", async () => {
  const closed = join(root, "closed");
  await mkdir(closed, { mode: 0o700 });
  await expect(startEmbeddedPostgres({ dataDir: join(closed, "data"), durable: false })).rejects.toThrow(
    `the embedded PostgreSQL runs as user "postgres" (we are root), which cannot enter ${closed} (mode 0700)`,
  );
});

test("persistent: false removes the cluster on stop", async () => {
  const dataDir = join(root, "temporary");
  const server = await startEmbeddedPostgres({ dataDir, durable: false, persistent: false });
  await server.stop();
  expect(existsSync(join(dataDir, "postgres"))).toBe(false);
});

test("stopping it with connections open shows the operator none of its own shutdown FATALs; a FATAL while running is shown", async () => {
  const dataDir = join(root, "quiet-stop");
  const shown: string[] = [];
  const server = await startEmbeddedPostgres({ dataDir, durable: false, persistent: false, onError: (line) => shown.push(line) });
  const idle = openClient(server.url, { max: 1 });
  await idle`select 1`;
  // A refused login is a FATAL of the running server: it must reach the operator
  const refused = openClient(server.url.replace(/\/[^/]*$/, "/no_such_database"), { max: 1 });
  await expect(refused`select 1`).rejects.toThrow(/no_such_database/);
  await refused.end();
  for (let i = 0; i < 50 && !shown.some((l) => l.includes("no_such_database")); i++) await Bun.sleep(20);
  expect(shown.filter((l) => l.includes("FATAL"))).toEqual([expect.stringContaining('database "no_such_database" does not exist')]);
  // Our own fast shutdown ends the idle backend with "terminating connection due to administrator command"
  await server.stop();
  await idle.end({ timeout: 0 }).catch(() => undefined);
  expect(shown.filter((l) => l.includes("FATAL"))).toHaveLength(1);
});
