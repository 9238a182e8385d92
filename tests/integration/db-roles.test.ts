/**
 * Database roles and rights (issue 14): the crawl writes as a role that
 * cannot alter or drop tables; `db reader NAME` makes a role that can read
 * and change nothing; a user without a right the server needs hears which
 * and the GRANT that gives it. On the test cluster (superuser `postgres`), on
 * a database owned by a plain user with and without CREATEROLE, and on the
 * embedded PostgreSQL of a fresh data directory.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openClient, type Sql } from "../../server/src/db/client.ts";
import { startEmbeddedPostgres } from "../../server/src/db/embedded.ts";
import { migrateDatabase } from "../../server/src/db/migrate.ts";
import { ingestChunk } from "../../server/src/db/queries/ingest-chunk.ts";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { createReader, prepareCrawlRole, RoleError, roleNames, urlFor } from "../../server/src/db/roles.ts";
import { createTestDatabase, databaseUrl, testChunk, type TestDatabase } from "../support/db.ts";
import { spawnProc, writeServerConfig } from "../support/processes.ts";

const root = await mkdtemp(join(tmpdir(), "wotc-roles-"));
await chmod(root, 0o711); // as root, the embedded postgres runs as user postgres and must enter it
afterAll(() => rm(root, { recursive: true, force: true }), 60_000);

const adminUrl = () => process.env.WOTC_TEST_PG_URL!;

/** The error code PostgreSQL answers the statement with, or "ok". */
async function attempt(sql: Sql, statement: string): Promise<string> {
  try {
    await sql.unsafe(statement);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const DENIED = "42501"; // insufficient_privilege
const NOT_OWNER = "42501"; // "must be owner of table": also insufficient_privilege

/** `bun run server [args]` against `url`, from a config in a temporary directory. */
async function server(url: string, args: string[], dataDir = join(root, `data-${Math.random().toString(36).slice(2)}`)) {
  const { configPath } = await writeServerConfig({
    server: { dataDir },
    database: { url },
    wg: { keys: [{ applicationId: "roles-test", rps: 1, clients: ["*"] }] },
    ranges: { xbox: { min: 5_000, max: 5_100 }, ps: { min: 1_073_740_000, max: 1_073_740_100 } },
  });
  const proc = spawnProc(["bun", "server/src/main.ts", "--config", configPath, ...args]);
  const code = await proc.exited;
  return { code, output: proc.output(), stdout: proc.stdout(), dataDir };
}

describe("on a database whose tables the superuser owns", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(() => db?.drop(), 60_000);

  test("the crawl's writer role writes players (and, through the triggers, total/diff) but cannot alter, drop, truncate or create", async () => {
    const role = await prepareCrawlRole(db, join(root, "writer"));
    expect(role.role).toBe(roleNames(db.name).writer);
    expect(role.note).toBe(`the crawl writes as "${role.role}", which may read and write the tables but not alter or drop them`);
    const passwordFile = join(root, "writer", "db-roles", `${role.role}.password`);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, "writer", "db-roles")).mode & 0o777).toBe(0o700);

    await ensurePartitions(db.sql, "2026-03-01");
    const writer = openClient(role.url, { max: 1 });
    try {
      expect((await writer`select current_user as u`)[0]!.u).toBe(role.role);
      await ingestChunk(writer, testChunk("2026-03-01", [{ id: 7, battles: 3 }], [{ platform: "xbox", start: 0, end: 100, found: 1, maxAccountId: 7 }]));
      expect([...(await writer`select account_id, battles from diff_battles`)]).toEqual([{ account_id: 7, battles: 3 }]);
      // The lead's repair of a day deletes a batch's rows again.
      expect(await attempt(writer, "delete from diff_battles where account_id = 7")).toBe("ok");
      expect(await attempt(writer, "alter table players add column x int")).toBe(NOT_OWNER);
      expect(await attempt(writer, "drop table run_batches")).toBe(NOT_OWNER);
      expect(await attempt(writer, "truncate players")).toBe(DENIED);
      expect(await attempt(writer, "create table mine (x int)")).toBe(DENIED);
      expect(await attempt(writer, "create schema mine")).toBe(DENIED);
      expect(await attempt(writer, "drop function create_day_partitions(date)")).toBe(NOT_OWNER);
    } finally {
      await writer.end();
    }
    // Started again with the password file in place: the same role and password.
    expect((await prepareCrawlRole(db, join(root, "writer"))).url).toBe(role.url);
  });

  test("`db reader NAME` prints a URL whose role can select and cannot insert, update, delete, drop or create", async () => {
    const name = `${db.name}_grafana`;
    const run = await server(db.url, ["db", "reader", name]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    const url = lines.at(-1)!;
    expect(lines.at(-2)).toBe(`connection URL for ${name}:`);
    expect(new URL(url).username).toBe(name);
    expect(new URL(url).pathname).toBe(`/${db.name}`);
    expect(statSync(join(run.dataDir, "db-roles", `${name}.password`)).mode & 0o777).toBe(0o600);

    await db.sql`insert into client_tokens (name, token_hash) values ('alice', 'hash')`;
    const reader = openClient(url, { max: 1 });
    try {
      expect(await attempt(reader, "select count(*) from players")).toBe("ok");
      expect(await attempt(reader, "select count(*) from daily_stats")).toBe("ok");
      expect(await attempt(reader, "select count(*) from diff_battles")).toBe("ok");
      expect(await attempt(reader, "select * from client_tokens")).toBe(DENIED);
      expect(await attempt(reader, "insert into runs (run_date, ranges) values ('2030-01-01', '{}')")).toBe(DENIED);
      expect(await attempt(reader, "update players set battles = 0")).toBe(DENIED);
      expect(await attempt(reader, "delete from daily_stats")).toBe(DENIED);
      expect(await attempt(reader, "drop table players")).toBe(NOT_OWNER);
      expect(await attempt(reader, "create table mine (x int)")).toBe(DENIED);
      expect(await attempt(reader, "create schema mine")).toBe(DENIED);
      expect(await attempt(reader, "truncate daily_stats")).toBe(DENIED);
    } finally {
      await reader.end();
    }

    // Again for the same name: a new password; the old URL no longer logs in.
    const again = await server(db.url, ["db", "reader", name], run.dataDir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`reader ${name} existed: it has a new password`);
    const newUrl = again.stdout.trim().split("\n").at(-1)!;
    expect(newUrl).not.toBe(url);
    expect(await attempt(openClient(newUrl, { max: 1 }), "select 1")).toBe("ok");
    expect(await attempt(openClient(url, { max: 1 }), "select 1")).toBe("28P01");
  }, 60_000);

  test("a reader name that is not a plain lower-case identifier, or belongs to another role, is refused", async () => {
    await expect(createReader(db, join(root, "names"), "Robert'); drop table players;--")).rejects.toThrow(
      /use 1-63 lower-case letters, digits and '_'/,
    );
    await expect(createReader(db, join(root, "names"), roleNames(db.name).writer)).rejects.toThrow(/is taken by the tracker itself/);
    await expect(createReader(db, join(root, "names"), "postgres")).rejects.toThrow(/is taken by the tracker itself/);
    const other = `${db.name}_someone`;
    await db.sql.unsafe(`create role ${other}`);
    await expect(createReader(db, join(root, "names"), other)).rejects.toThrow(
      `a role named "${other}" already exists and is not a reader of this tracker ("${roleNames(db.name).readers}"); choose another name`,
    );
  });

  test("a user who may not create schemas (or own the tables) is told which right is missing and the GRANT that gives it", async () => {
    const user = `${db.name}_newcomer`;
    await db.sql.unsafe(`create role ${user} login password 'newcomer'`);
    const run = await server(urlFor(db.url, user, "newcomer"), []);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`migrating the database failed: database user "${user}" lacks rights the tracker needs:`);
    expect(run.output).toContain(`may not create schemas in database "${db.name}"`);
    expect(run.output).toContain(`GRANT CREATE ON DATABASE "${db.name}" TO "${user}";`);
    const tables = (
      await db.sql`select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relispartition order by 1`
    ).map((t) => t.relname);
    expect(tables).toContain("players");
    expect(run.output).toContain(`does not own ${tables.join(", ")} (owned by "postgres")`);
    expect(run.output).toContain(`ALTER TABLE "players" OWNER TO "${user}";`);
    expect(run.output).not.toContain("Failed query");
  }, 60_000);
});

test("where every role may create tables in public (PostgreSQL before 15), the writer's note says so and how to stop it", async () => {
  const old = await createTestDatabase();
  try {
    await old.sql`grant create on schema public to public`;
    const role = await prepareCrawlRole(old, join(root, "old-defaults"));
    expect(role.note).toEndWith(
      "; but here every role may create tables in schema public (the default before PostgreSQL 15): as its owner, REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
    );
  } finally {
    await old.drop();
  }
});

test("a new user on an empty database is told the GRANTs, and after them the migrations run", async () => {
  const empty = await createTestDatabase({ migrated: false });
  try {
    const user = `${empty.name}_fresh`;
    await empty.sql.unsafe(`create role ${user} login password 'fresh'`);
    const url = urlFor(empty.url, user, "fresh");
    const refused = await migrateDatabase(url).catch((e: Error) => e.message);
    const grants = [`GRANT CREATE ON DATABASE "${empty.name}" TO "${user}";`, `GRANT USAGE, CREATE ON SCHEMA public TO "${user}";`];
    for (const grant of grants) expect(refused).toContain(grant);
    for (const grant of grants) await empty.sql.unsafe(grant);
    await migrateDatabase(url);
    expect((await empty.sql`select tableowner from pg_tables where tablename = 'players'`)[0]!.tableowner).toBe(user);
  } finally {
    await empty.drop();
  }
});

describe("on a database owned by a plain user", () => {
  const name = `wotc_roles_${process.pid}_${Date.now().toString(36)}`;
  const owner = `${name}_owner`;
  let url: string;
  let admin: Sql;
  beforeAll(async () => {
    admin = openClient(adminUrl(), { max: 1 });
    await admin.unsafe(`create role ${owner} login password 'owner'`);
    await admin.unsafe(`create database ${name} owner ${owner}`);
    url = urlFor(databaseUrl(adminUrl(), name), owner, "owner");
  }, 60_000);
  afterAll(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    for (const { rolname } of await admin`select rolname from pg_roles where rolname like ${`${name}\\_%`} order by rolname = ${owner}`) {
      await admin.unsafe(`drop role if exists "${rolname}"`);
    }
    await admin.end();
  }, 60_000);

  test("it migrates its own database; without CREATEROLE the crawl writes as it and says why; db reader names the right", async () => {
    await migrateDatabase(url);
    const sql = openClient(url, { max: 1 });
    try {
      const role = await prepareCrawlRole({ sql, url }, join(root, "plain"));
      expect(role.role).toBeNull();
      expect(role.url).toBe(url);
      expect(role.note).toBe(
        `the crawl writes as "${owner}", the owner of the tables: it may not create roles, so there is no separate writer that cannot alter or drop tables (as a superuser: ALTER ROLE "${owner}" CREATEROLE;)`,
      );
      const refused = await createReader({ sql, url }, join(root, "plain"), `${name}_analyst`).catch((e: Error) => e);
      expect(refused).toBeInstanceOf(RoleError);
      expect((refused as Error).message).toStartWith(`database user "${owner}" may not create roles, so it cannot make a reader. Either, as a superuser, run ALTER ROLE "${owner}" CREATEROLE;`);
    } finally {
      await sql.end();
    }
  }, 60_000);

  test("with CREATEROLE (not superuser) it makes the writer and a reader", async () => {
    await admin.unsafe(`alter role ${owner} createrole`);
    const sql = openClient(url, { max: 1 });
    try {
      const role = await prepareCrawlRole({ sql, url }, join(root, "plain"));
      expect(role.role).toBe(`${name}_writer`);
      const writer = openClient(role.url, { max: 1 });
      expect(await attempt(writer, "insert into runs (run_date, ranges) values ('2030-01-01', '{}')")).toBe("ok");
      expect(await attempt(writer, "drop table runs")).toBe(NOT_OWNER);
      await writer.end();
      const reader = await createReader({ sql, url }, join(root, "plain"), `${name}_analyst`);
      const readerSql = openClient(reader.url, { max: 1 });
      expect(await attempt(readerSql, "select count(*) from runs")).toBe("ok");
      expect(await attempt(readerSql, "delete from runs")).toBe(DENIED);
      await readerSql.end();
    } finally {
      await sql.end();
    }
  }, 60_000);
});

test("on the embedded PostgreSQL: db reader's URL still works at the next start (the cluster keeps its port)", async () => {
  const dataDir = join(root, "embedded");
  const { configPath } = await writeServerConfig({
    server: { dataDir },
    wg: { keys: [{ applicationId: "roles-test", rps: 1, clients: ["*"] }] },
    ranges: { xbox: { min: 5_000, max: 5_100 }, ps: { min: 1_073_740_000, max: 1_073_740_100 } },
  });
  const proc = spawnProc(["bun", "server/src/main.ts", "--config", configPath, "db", "reader", "notebook"], { DATABASE_URL: "" });
  expect(await proc.exited).toBe(0);
  expect(proc.stdout()).toContain("the embedded PostgreSQL listens on 127.0.0.1 only, and only while the tracker runs");
  const url = proc.stdout().trim().split("\n").at(-1)!;
  expect(url).toMatch(/^postgres:\/\/notebook:[^@]+@127\.0\.0\.1:\d+\/postgres$/);

  const pg = await startEmbeddedPostgres({ dataDir });
  try {
    expect(String(pg.port)).toBe(new URL(url).port);
    const reader = openClient(url, { max: 1 });
    expect(await attempt(reader, "select count(*) from players")).toBe("ok");
    expect(await attempt(reader, "insert into runs (run_date, ranges) values ('2030-01-01', '{}')")).toBe(DENIED);
    await reader.end();
  } finally {
    await pg.stop();
  }
}, 120_000);
