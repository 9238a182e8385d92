/**
 * The rights the server needs of its database user, checked before the
 * migrations run, so a user set up by hand hears which right is missing and
 * the GRANT that gives it, instead of `Failed query: CREATE SCHEMA IF NOT
 * EXISTS "drizzle"` and nothing about permission.
 *
 * A superuser has them all. Otherwise, the configured user must:
 * - create schemas in the database: the drizzle migrator runs CREATE SCHEMA IF
 *   NOT EXISTS "drizzle" at every start, and PostgreSQL checks the right even
 *   when the schema exists;
 * - use the drizzle schema and its ledger, when another user made them;
 * - create tables in schema public, when a migration is pending;
 * - own the tracker's tables (or be a member of their owner): migrations alter
 *   them, and only the owner may create a day's partitions of total/diff;
 * - create temporary tables: the daily statistics gather each day in one.
 * Creating roles (CREATEROLE) is optional: see roles.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "./client.ts";

export interface MissingRight {
  /** What the user may not do, and why the tracker needs it. */
  problem: string;
  /** The statement (for a superuser or the object's owner) that fixes it. */
  fix: string;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function missingRights(sql: Sql, migrationsFolder: string): Promise<MissingRight[]> {
  const [me] = await sql<
    {
      user: string;
      database: string;
      createSchema: boolean;
      temp: boolean;
      createPublic: boolean | null;
      drizzleSchema: boolean | null;
      ledger: boolean | null;
      applied: string | null;
    }[]
  >`
    select current_user as "user", current_database() as database,
      has_database_privilege(current_database(), 'CREATE') as "createSchema",
      has_database_privilege(current_database(), 'TEMPORARY') as temp,
      -- (has_*_privilege with a list is true when any one of them is held: each right is asked alone)
      case when to_regnamespace('public') is not null
        then has_schema_privilege('public', 'USAGE') and has_schema_privilege('public', 'CREATE') end as "createPublic",
      case when to_regnamespace('drizzle') is not null
        then has_schema_privilege('drizzle', 'USAGE') and has_schema_privilege('drizzle', 'CREATE') end as "drizzleSchema",
      -- looking inside a schema one may not use is itself refused
      case when to_regnamespace('drizzle') is not null and has_schema_privilege('drizzle', 'USAGE') then
        case when to_regclass('drizzle.__drizzle_migrations') is not null
          then has_table_privilege('drizzle.__drizzle_migrations', 'SELECT')
            and has_table_privilege('drizzle.__drizzle_migrations', 'INSERT') end
      end as ledger
  `;
  const { user, database } = me!;
  const u = ident(user);
  const missing: MissingRight[] = [];
  if (!me!.createSchema) {
    missing.push({
      problem: `may not create schemas in database ${ident(database)} (the migrator keeps its ledger in schema "drizzle" and creates it if missing at every start)`,
      fix: `GRANT CREATE ON DATABASE ${ident(database)} TO ${u};`,
    });
  }
  if (me!.drizzleSchema === false) {
    missing.push({ problem: `may not use schema "drizzle", where another user keeps the migration ledger`, fix: `GRANT USAGE, CREATE ON SCHEMA drizzle TO ${u};` });
  }
  if (me!.ledger === false) {
    missing.push({
      problem: `may not read and add to the migration ledger drizzle.__drizzle_migrations`,
      fix: `GRANT SELECT, INSERT ON drizzle.__drizzle_migrations TO ${u};`,
    });
  }
  // Without a readable ledger every migration may be pending.
  const pending = me!.ledger === true ? await pendingMigrations(sql, migrationsFolder) : 1;
  if (me!.createPublic === false && pending > 0) {
    missing.push({ problem: `may not create tables in schema public (a migration is pending)`, fix: `GRANT USAGE, CREATE ON SCHEMA public TO ${u};` });
  }
  if (!me!.temp) {
    missing.push({
      problem: `may not create temporary tables (the daily statistics gather each day in one)`,
      fix: `GRANT TEMPORARY ON DATABASE ${ident(database)} TO ${u};`,
    });
  }
  const foreign = await sql<{ table: string; owner: string }[]>`
    select tablename as table, tableowner as owner from pg_tables
    where schemaname = 'public' and tablename = any(${trackerTables(migrationsFolder)}::text[])
      and not pg_has_role(current_user, tableowner, 'USAGE')
    order by tablename
  `;
  for (const owner of new Set(foreign.map((t) => t.owner))) {
    const tables = foreign.filter((t) => t.owner === owner).map((t) => t.table);
    missing.push({
      problem: `does not own ${tables.join(", ")} (owned by ${ident(owner)}): migrations alter the tracker's tables and create the day partitions, which only their owner may; connect as ${ident(owner)}, or hand them over`,
      fix: tables.map((t) => `ALTER TABLE ${ident(t)} OWNER TO ${u};`).join(" "),
    });
  }
  return missing;
}

/** `database user "alice" lacks rights the tracker needs: ...`, one line per right, each with its GRANT. */
export function describeMissingRights(user: string, missing: MissingRight[]): string {
  const lines = missing.map((m) => `  - ${m.problem}: ${m.fix}`);
  return `database user ${ident(user)} lacks ${missing.length === 1 ? "a right" : "rights"} the tracker needs:\n${lines.join("\n")}\n(run the statements as a superuser or as the owner of the database or object, then start again)`;
}

/** Migrations in the journal newer than the last one applied (how the drizzle migrator decides); call only when the ledger exists and is readable. */
async function pendingMigrations(sql: Sql, migrationsFolder: string): Promise<number> {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: { when: number }[] };
  const [last] = await sql<{ when: number | null }[]>`select max(created_at)::float8 as when from drizzle.__drizzle_migrations`;
  return journal.entries.filter((e) => last?.when == null || e.when > last.when).length;
}

/** The tables the migrations create, read from their SQL. */
function trackerTables(migrationsFolder: string): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(migrationsFolder).filter((f) => f.endsWith(".sql"))) {
    for (const match of readFileSync(join(migrationsFolder, file), "utf8").matchAll(/CREATE TABLE (?:IF NOT EXISTS )?"?(\w+)"?/gi)) names.add(match[1]!);
  }
  return [...names];
}
