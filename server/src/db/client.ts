/**
 * How every part of the server opens a postgres.js client, so the session
 * settings are the same on the main thread and in each DB helper worker.
 */
import postgres from "postgres";

export type Sql = postgres.Sql;
/** Inside `sql.begin(...)`: the queries of one transaction. */
export type Tx = postgres.TransactionSql;

export interface ClientOptions {
  /** Connections in the pool; a DB helper worker uses 1. */
  max?: number;
  /** Seconds to wait for a connection before failing. */
  connectTimeout?: number;
  /** Seen in pg_stat_activity: which part of the tracker a connection belongs to. */
  applicationName?: string;
  /** Seconds before an idle connection is closed; 0 keeps it. */
  idleTimeout?: number;
}

export function openClient(url: string, options: ClientOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeout ?? 10,
    ...(options.idleTimeout !== undefined ? { idle_timeout: options.idleTimeout } : {}),
    // date columns are compared as UTC days everywhere; never the machine's zone
    connection: { TimeZone: "UTC", application_name: options.applicationName ?? "wotc-tracker" },
    // CREATE ... IF NOT EXISTS and the migrator chat on every start
    onnotice: () => {},
    types: {
      // every int8 here (account ids, damage) is far below 2^53: numbers, not strings
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
}
