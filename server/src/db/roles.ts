/**
 * Database roles (issue 14: "separate service accounts on one machine").
 *
 * | role                         | used by                                      | may                                        |
 * |------------------------------|----------------------------------------------|--------------------------------------------|
 * | owner: the configured user   | migrations; the server's main connection:    | everything on the tables it owns           |
 * | (embedded: `postgres`)       | run ledger, day partitions (creating a       |                                            |
 * |                              | partition needs the parent's owner), stats,  |                                            |
 * |                              | growth, ES sync reads, role management       |                                            |
 * | `<database>_writer`          | the DB helper workers: every row volunteers  | SELECT, INSERT, UPDATE, DELETE on the      |
 * |                              | send (the players triggers run as it and     | tables of schema public (DELETE for the    |
 * |                              | write total/diff through the parents), and   | repair of a day); never ALTER, DROP,       |
 * |                              | whatever the lead's repair path deletes      | TRUNCATE or CREATE: it owns nothing        |
 * | `<database>_readers` (group) | `bun run server db reader NAME`: one LOGIN   | SELECT on the tables of schema public but  |
 * | and its members              | role per analyst (Grafana, notebooks)        | client_tokens; nothing else                |
 *
 * Grants are made again at every start (and by default privileges for tables
 * the owner creates later: new migrations, each day's partitions), so a
 * migration from another part of the tracker needs no grant of its own.
 * Role names are cluster-wide, so they carry the database's name: two
 * trackers on one PostgreSQL keep their passwords apart.
 *
 * Generated passwords are stored 0600 under `<dataDir>/db-roles/`. An owner
 * that may not create roles (no CREATEROLE) keeps the crawl on its own
 * connection and says so; `db reader` then fails naming the right.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { openClient, type Sql } from "./client.ts";

export interface RoleNames {
  writer: string;
  readers: string;
}

/** `<database>_writer`, `<database>_readers`: lower case, `[a-z0-9_]`, within PostgreSQL's 63 bytes. */
export function roleNames(database: string): RoleNames {
  const base = database.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 63 - "_readers".length);
  return { writer: `${base}_writer`, readers: `${base}_readers` };
}

interface Owner {
  user: string;
  database: string;
  superuser: boolean;
  createRole: boolean;
}

async function whoAmI(sql: Sql): Promise<Owner> {
  const [row] = await sql<Owner[]>`
    select current_user as "user", current_database() as database,
      r.rolsuper as superuser, r.rolsuper or r.rolcreaterole as "createRole"
    from pg_roles r where r.rolname = current_user
  `;
  return row!;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The URL with another user and password; host, port, database and options as they were. */
export function urlFor(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export class RoleError extends Error {}

export interface CrawlRole {
  /** The URL the DB helper workers connect with. */
  url: string;
  /** The writer role, or null when the crawl writes as the owner. */
  role: string | null;
  /** One line for the log: which role writes, or why the owner does. */
  note: string;
}

/**
 * The writer role for the crawl: created (or its password restored) and
 * granted its rights, its login tried once. Whatever goes wrong, the crawl
 * still runs, as the owner, and the note says why and what would fix it.
 */
export async function prepareCrawlRole(db: { sql: Sql; url: string }, dataDir: string): Promise<CrawlRole> {
  const owner = await whoAmI(db.sql);
  const { writer } = roleNames(owner.database);
  const asOwner = (why: string): CrawlRole => ({ url: db.url, role: null, note: `the crawl writes as ${ident(owner.user)}, the owner of the tables: ${why}` });
  if (!owner.createRole) {
    return asOwner(
      `it may not create roles, so there is no separate writer that cannot alter or drop tables (as a superuser: ALTER ROLE ${ident(owner.user)} CREATEROLE;)`,
    );
  }
  const passwords = new PasswordFiles(dataDir);
  try {
    let password = await passwords.read(writer);
    const exists = await roleExists(db.sql, writer);
    if (!exists || password === undefined) {
      password = await passwords.create(writer);
      await db.sql.unsafe(`${exists ? "alter" : "create"} role ${ident(writer)} login password ${literal(password)}`);
    }
    await grantWriter(db.sql, owner, writer);
    let url = urlFor(db.url, writer, password);
    const login = await tryLogin(url);
    if (login === "bad password") {
      // The role's password was changed elsewhere (or the data dir restored from elsewhere): ours wins.
      password = await passwords.create(writer);
      await db.sql.unsafe(`alter role ${ident(writer)} password ${literal(password)}`);
      url = urlFor(db.url, writer, password);
    } else if (login !== "ok") {
      return asOwner(`role ${ident(writer)} cannot log in (${login}); allow it in pg_hba.conf like ${ident(owner.user)}`);
    }
    // Before PostgreSQL 15 every role may create tables in schema public; the writer too, unless the operator changed that.
    const [open] = await db.sql<{ create: boolean }[]>`select has_schema_privilege(${writer}, 'public', 'CREATE') as create`;
    const caveat = open!.create
      ? `; but here every role may create tables in schema public (the default before PostgreSQL 15): as its owner, REVOKE CREATE ON SCHEMA public FROM PUBLIC;`
      : "";
    return { url, role: writer, note: `the crawl writes as ${ident(writer)}, which may read and write the tables but not alter or drop them${caveat}` };
  } catch (error) {
    return asOwner(`preparing role ${ident(writer)} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface ReaderRole {
  name: string;
  url: string;
  /** The role existed (a reader of this tracker): its password was replaced. */
  reset: boolean;
  passwordFile: string;
}

/**
 * `bun run server db reader NAME`: a LOGIN role that may read the tracker's
 * tables (not client_tokens) and nothing else, as a member of
 * `<database>_readers`. Run again for the same name, it gives the role a new
 * password. Throws RoleError with what to do when the owner may not.
 */
export async function createReader(db: { sql: Sql; url: string }, dataDir: string, name: string): Promise<ReaderRole> {
  const owner = await whoAmI(db.sql);
  const names = roleNames(owner.database);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new RoleError(`reader name ${JSON.stringify(name)}: use 1-63 lower-case letters, digits and '_', starting with a letter or '_'`);
  }
  if (name.startsWith("pg_") || [owner.user, names.writer, names.readers].includes(name)) {
    throw new RoleError(`reader name ${JSON.stringify(name)} is taken by the tracker itself (or reserved by PostgreSQL); choose another`);
  }
  if (!owner.createRole) {
    throw new RoleError(
      `database user ${ident(owner.user)} may not create roles, so it cannot make a reader. Either, as a superuser, run ` +
        `ALTER ROLE ${ident(owner.user)} CREATEROLE; and try again, or create the reader yourself: ` +
        `CREATE ROLE ${ident(name)} LOGIN PASSWORD '...'; GRANT CONNECT ON DATABASE ${ident(owner.database)} TO ${ident(name)}; ` +
        `GRANT USAGE ON SCHEMA public TO ${ident(name)}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ident(name)};`,
    );
  }
  if (!(await roleExists(db.sql, names.readers))) await db.sql.unsafe(`create role ${ident(names.readers)} nologin`);
  await grantReaders(db.sql, owner, names.readers);

  const existing = await roleExists(db.sql, name);
  if (existing && !(await isMember(db.sql, name, names.readers))) {
    throw new RoleError(`a role named ${ident(name)} already exists and is not a reader of this tracker (${ident(names.readers)}); choose another name`);
  }
  const passwords = new PasswordFiles(dataDir);
  const password = await passwords.create(name);
  if (existing) await db.sql.unsafe(`alter role ${ident(name)} password ${literal(password)}`);
  else await db.sql.unsafe(`create role ${ident(name)} login password ${literal(password)} in role ${ident(names.readers)}`);
  return { name, url: urlFor(db.url, name, password), reset: existing, passwordFile: passwords.path(name) };
}

async function grantWriter(sql: Sql, owner: Owner, writer: string): Promise<void> {
  const w = ident(writer);
  await grantAccess(sql, owner, writer);
  await sql.unsafe(`grant select, insert, update, delete on all tables in schema public to ${w}`);
  await sql.unsafe(`grant usage, select on all sequences in schema public to ${w}`);
  await sql.unsafe(`alter default privileges in schema public grant select, insert, update, delete on tables to ${w}`);
  await sql.unsafe(`alter default privileges in schema public grant usage, select on sequences to ${w}`);
}

async function grantReaders(sql: Sql, owner: Owner, readers: string): Promise<void> {
  const r = ident(readers);
  await grantAccess(sql, owner, readers);
  await sql.unsafe(`grant select on all tables in schema public to ${r}`);
  await sql.unsafe(`alter default privileges in schema public grant select on tables to ${r}`);
  // Token hashes are no analyst's business.
  if ((await sql`select to_regclass('public.client_tokens') is not null as present`)[0]!.present) {
    await sql.unsafe(`revoke all on table public.client_tokens from ${r}`);
  }
}

/**
 * CONNECT on the database and USAGE on schema public, which PUBLIC has by
 * default: granted only when missing, since the tables' owner need not own
 * the database or the schema (and then may not grant them).
 */
async function grantAccess(sql: Sql, owner: Owner, role: string): Promise<void> {
  const [has] = await sql<{ connect: boolean; usage: boolean }[]>`
    select has_database_privilege(${role}, current_database(), 'CONNECT') as connect, has_schema_privilege(${role}, 'public', 'USAGE') as usage
  `;
  if (!has!.connect) await sql.unsafe(`grant connect on database ${ident(owner.database)} to ${ident(role)}`);
  if (!has!.usage) await sql.unsafe(`grant usage on schema public to ${ident(role)}`);
}

async function roleExists(sql: Sql, name: string): Promise<boolean> {
  return (await sql`select exists (select from pg_roles where rolname = ${name}) as found`)[0]!.found;
}

async function isMember(sql: Sql, role: string, group: string): Promise<boolean> {
  return (await sql`select pg_has_role(${role}, ${group}, 'member') as member`)[0]!.member;
}

/** "ok", "bad password", or why the role cannot log in. */
async function tryLogin(url: string): Promise<string> {
  const sql = openClient(url, { max: 1, connectTimeout: 10 });
  try {
    await sql`select 1`;
    return "ok";
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return e.code === "28P01" ? "bad password" : (e.message ?? String(error));
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Passwords are base64url: safe inside a SQL string literal and a URL. */
function literal(password: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(password)) throw new Error("a generated password has unexpected characters");
  return `'${password}'`;
}

/** `<dataDir>/db-roles/<role>.password`, mode 0600 in a 0700 directory. */
class PasswordFiles {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "db-roles");
  }

  path(role: string): string {
    return join(this.dir, `${role}.password`);
  }

  async read(role: string): Promise<string | undefined> {
    const text = await readFile(this.path(role), "utf8").catch(() => undefined);
    return text?.trim() || undefined;
  }

  async create(role: string): Promise<string> {
    const password = randomBytes(24).toString("base64url");
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    await writeFile(this.path(role), `${password}\n`, { mode: 0o600 });
    await chmod(this.path(role), 0o600); // writeFile's mode does not apply to an existing file
    return password;
  }
}
