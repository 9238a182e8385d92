/** Finding the database: a wrong URL fails fast and names the server and the reason. */
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectDatabase } from "../../server/src/db/connect.ts";

const dataDir = await mkdtemp(join(tmpdir(), "wotc-connect-"));
afterAll(() => rm(dataDir, { recursive: true, force: true }), 60_000);

test("a DATABASE_URL pointing nowhere fails at once with the host, port and reason", async () => {
  const started = performance.now();
  await expect(
    connectDatabase({ dataDir, env: { DATABASE_URL: "postgres://wotc:secret@127.0.0.1:1/wotc" } }),
  ).rejects.toThrow(new Error("cannot reach PostgreSQL at 127.0.0.1:1 (DATABASE_URL): connection refused"));
  expect(performance.now() - started).toBeLessThan(3000);
});

test("database.url from the config wins over DATABASE_URL, and the password never appears in the message", async () => {
  const error = await connectDatabase({
    dataDir,
    configUrl: "postgres://wotc:hunter2@127.0.0.1:2/wotc",
    env: { DATABASE_URL: "postgres://wotc:secret@127.0.0.1:1/wotc" },
  }).catch((e: Error) => e);
  expect(String(error)).toBe("Error: cannot reach PostgreSQL at 127.0.0.1:2 (database.url): connection refused");
});

test("a server that accepts the connection but never answers times out with a clear message", async () => {
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const started = performance.now();
    await expect(
      connectDatabase({ dataDir, connectTimeout: 1, env: { DATABASE_URL: `postgres://u:p@127.0.0.1:${silent.port}/db` } }),
    ).rejects.toThrow(`cannot reach PostgreSQL at 127.0.0.1:${silent.port} (DATABASE_URL): no answer (connect timeout)`);
    expect(performance.now() - started).toBeLessThan(5000);
  } finally {
    silent.stop(true);
  }
});

test("a wrong password is reported as such", async () => {
  const url = new URL(process.env.WOTC_TEST_PG_URL!);
  url.password = "wrong";
  await expect(connectDatabase({ dataDir, env: { DATABASE_URL: url.toString() } })).rejects.toThrow(
    `cannot connect to PostgreSQL at 127.0.0.1:${url.port} (DATABASE_URL): password authentication failed for user "postgres"`,
  );
});

test("a reachable DATABASE_URL gives a working client in UTC", async () => {
  const db = await connectDatabase({ dataDir, env: { DATABASE_URL: process.env.WOTC_TEST_PG_URL } });
  try {
    expect(db.source).toBe("DATABASE_URL");
    expect([...(await db.sql`select current_setting('TimeZone') as tz, 9007199254740991::int8 as big`)]).toEqual([{ tz: "UTC", big: 9007199254740991 }]);
  } finally {
    await db.close();
  }
});
