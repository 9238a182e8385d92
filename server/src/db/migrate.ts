/**
 * Brings a database up to the migrations in schema/migrations/ (drizzle-kit's
 * generated ones and the hand-written partition/trigger SQL).
 */
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { openClient } from "./client.ts";

export const MIGRATIONS_DIR = join(import.meta.dir, "../../../schema/migrations");

/** Any fixed number: every wotc process that migrates takes this session lock first. */
const MIGRATION_LOCK = 0x77_6f_74_63; // "wotc"

/**
 * Safe when two processes start at once: the drizzle migrator alone races
 * (both see the migration as pending and the second fails on CREATE TABLE),
 * so it runs under a session advisory lock, on a connection of its own that
 * holds the lock for the whole migration.
 */
export async function migrateDatabase(url: string, migrationsFolder: string = MIGRATIONS_DIR): Promise<void> {
  const sql = openClient(url, { max: 1 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(sql), { migrationsFolder });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } catch (e) {
    throw new Error(`migrating the database failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
