/**
 * Finds the database (config `database.url`, else `DATABASE_URL`, else an
 * embedded PostgreSQL under dataDir), opens a client and checks that it
 * answers, so a wrong URL fails at start with a message naming it.
 */
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded.ts";
import { openClient, type ClientOptions, type Sql } from "./client.ts";

export type DatabaseSource = "database.url" | "DATABASE_URL" | "embedded";

export interface Database {
  sql: Sql;
  /** For the DB helper workers, which open their own connections. */
  url: string;
  source: DatabaseSource;
  /** Closes the client, then stops the embedded server if we started one. */
  close(): Promise<void>;
}

export interface ConnectOptions extends ClientOptions {
  /** config `database.url` */
  configUrl?: string | null;
  env?: Record<string, string | undefined>;
  /** config `server.dataDir`: the embedded cluster goes to `<dataDir>/postgres/`. */
  dataDir: string;
}

export async function connectDatabase(options: ConnectOptions): Promise<Database> {
  const env = options.env ?? process.env;
  let embedded: EmbeddedPostgres | undefined;
  let url: string;
  let source: DatabaseSource;
  if (options.configUrl) {
    url = options.configUrl;
    source = "database.url";
  } else if (env.DATABASE_URL) {
    url = env.DATABASE_URL;
    source = "DATABASE_URL";
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: options.dataDir });
    url = embedded.url;
    source = "embedded";
  }

  const sql = openClient(url, options);
  try {
    await checkConnection(sql, url, source);
  } catch (e) {
    await sql.end({ timeout: 0 });
    await embedded?.stop();
    throw e;
  }
  return {
    sql,
    url,
    source,
    close: async () => {
      await sql.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}

/** One round trip; on failure the error names the server (never the password) and the reason. */
export async function checkConnection(sql: Sql, url: string, source: string): Promise<void> {
  try {
    await sql`select 1`;
  } catch (e) {
    throw new Error(describeConnectError(e, url, source), { cause: e });
  }
}

export function describeConnectError(error: unknown, url: string, source: string): string {
  const where = `${serverOf(url)} (${source})`;
  const e = error as { code?: string; message?: string };
  const network: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    ECONNRESET: "connection reset",
    CONNECT_TIMEOUT: "no answer (connect timeout)",
  };
  if (e.code && network[e.code]) return `cannot reach PostgreSQL at ${where}: ${network[e.code]}`;
  return `cannot connect to PostgreSQL at ${where}: ${e.message ?? String(error)}`;
}

function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || "localhost"}:${u.port || "5432"}`;
  } catch {
    return "an unparseable URL";
  }
}
