/** Migrations at server start: idempotent, and safe when two processes start at once. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { migrateDatabase } from "../../server/src/db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

const tables = (db: TestDatabase) =>
  db.sql`select tablename from pg_tables where schemaname = 'public' and tablename not like '%\\_2%' order by 1`.then((r) => r.map((x) => x.tablename));

const TABLES = ["client_tokens", "daily_stats", "daily_stats_created_year", "diff_battles", "failed_batches", "players", "run_batches", "runs", "total_battles"];

let empty: TestDatabase;
let migrated: TestDatabase;
beforeAll(async () => {
  [empty, migrated] = await Promise.all([createTestDatabase({ migrated: false }), createTestDatabase()]);
}, 60_000);
afterAll(() => Promise.all([empty.drop(), migrated.drop()]), 60_000);

test("two processes migrating an empty database at once both succeed and apply each migration once", async () => {
  expect(await tables(empty)).toEqual([]);
  await Promise.all([migrateDatabase(empty.url), migrateDatabase(empty.url), migrateDatabase(empty.url)]);
  expect(await tables(empty)).toEqual(TABLES);
  const applied = await empty.sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
  const journal = await Bun.file(new URL("../../schema/migrations/meta/_journal.json", import.meta.url)).json();
  expect(applied[0]!.n).toBe(journal.entries.length);
});

test("migrating an up-to-date database again changes nothing", async () => {
  const before = await migrated.sql`select id, hash, created_at from drizzle.__drizzle_migrations order by id`;
  await migrateDatabase(migrated.url);
  expect(await migrated.sql`select id, hash, created_at from drizzle.__drizzle_migrations order by id`).toEqual(before);
  expect(await tables(migrated)).toEqual(TABLES);
});

test("a migration failure names what failed", async () => {
  await expect(migrateDatabase(migrated.url, "/nonexistent/migrations")).rejects.toThrow(/^migrating the database failed: /);
});
