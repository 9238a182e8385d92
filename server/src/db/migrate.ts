/**
 * Brings a database up to the migrations in schema/migrations/ (drizzle-kit's
 * generated ones and the hand-written partition/trigger SQL), as the owner of
 * the tracker's tables: the user of the configured URL (rights.ts says what
 * it must be allowed; roles.ts which roles do the rest).
 */
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { openClient } from "./client.ts";
import { describeMissingRights, missingRights } from "./rights.ts";

export const MIGRATIONS_DIR = join(import.meta.dir, "../../../schema/migrations");

/** Any fixed number: every wotc process that migrates takes this session lock first. */
const MIGRATION_LOCK = 0x77_6f_74_63; // "wotc"

/**
 * Safe when two processes start at once: the drizzle migrator alone races
 * (both see the migration as pending and the second fails on CREATE TABLE),
 * so it runs under a session advisory lock, on a connection of its own that
 * holds the lock for the whole migration. The user's rights are checked
 * first; a permission error the check did not foresee still says so.
 */
export async function migrateDatabase(url: string, migrationsFolder: string = MIGRATIONS_DIR): Promise<void> {
  const sql = openClient(url, { max: 1 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    const missing = await missingRights(sql, migrationsFolder);
    if (missing.length > 0) throw new Error(describeMissingRights((await sql`select current_user as u`)[0]!.u, missing));
    await migrate(drizzle(sql), { migrationsFolder });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const denied = (e as { cause?: { code?: string }; code?: string }).cause?.code === "42501" || (e as { code?: string }).code === "42501";
    const hint = denied ? `; the database user lacks a right this migration needs (${causeOf(e)}): run the server as the owner of the tracker's tables or a superuser` : "";
    throw new Error(`migrating the database failed: ${message}${hint}`, { cause: e });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message ?? (error as Error).message;
}
