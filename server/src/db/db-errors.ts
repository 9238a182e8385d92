/**
 * What a database error means for the crawl, read as a table:
 *   transient — the server went away or is restarting, or two writers
 *               collided: retry at once, with a short back-off;
 *   blocking  — retrying soon cannot fix it, the operator can (disk full,
 *               read-only, a missing right, a CHECK constraint, failed
 *               authentication): stop leasing, say the class and a hint,
 *               retry slowly and resume by itself when a write succeeds;
 *   data      — this chunk's rows are refused (a value PostgreSQL cannot
 *               hold): find the batch that holds them and set it aside;
 *   regressed — the trigger found counters moving back (WT001): those
 *               batches need a second opinion;
 *   partition — the day's partition is missing: create it and retry.
 * Anything unknown counts as blocking: better a paused run that names the
 * error than a loop that burns the WG quota while nothing is written.
 */
export type DbErrorKind = "transient" | "blocking" | "data" | "regressed" | "partition";

export interface DbErrorClass {
  kind: DbErrorKind;
  /** A short name for the status and the progress line ("disk full"). */
  name: string;
  /** What the operator can do. */
  hint: string;
}

const TRANSIENT_SQLSTATES = new Set([
  "08000", "08001", "08003", "08004", "08006", // connection exceptions
  "57P01", "57P02", "57P03", // admin/crash shutdown, cannot connect now
  "53300", // too many connections
  "40001", "40P01", // serialization failure, deadlock
]);

const TRANSIENT_CLIENT_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH",
  "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT",
]);

const BLOCKING: Record<string, Omit<DbErrorClass, "kind">> = {
  "53100": { name: "disk full", hint: "free space on the database's disk (or move its data directory); writes resume by themselves" },
  "53200": { name: "out of memory", hint: "the database ran out of memory; lower server.chunkRows or give PostgreSQL more memory" },
  "53000": { name: "insufficient resources", hint: "the database is short of a resource (see its log)" },
  "58030": { name: "I/O error", hint: "the database cannot write its files (disk failing or full; see its log)" },
  "25006": { name: "read-only", hint: "the database only allows reads (a standby, or default_transaction_read_only); point database.url at the primary" },
  "42501": { name: "permission denied", hint: "the database user lacks a right on the tracker's tables; GRANT it (see the message) or use the owner" },
  "28000": { name: "authentication", hint: "the database refused the login; check database.url's user and password" },
  "28P01": { name: "authentication", hint: "the database refused the password; check database.url" },
  "3D000": { name: "no such database", hint: "the database in database.url does not exist" },
  "23514": { name: "check violation", hint: "a CHECK constraint refuses the rows; an operator-added constraint must be fixed or dropped" },
  "42P01": { name: "schema", hint: "a table is missing: was the database changed by hand? restart the server to migrate" },
  "42703": { name: "schema", hint: "a column is missing: was the database changed by hand? restart the server to migrate" },
  "42883": { name: "schema", hint: "a function is missing: was the database changed by hand? restart the server to migrate" },
};

export function isTransientDbError(error: unknown): boolean {
  return classifyDbError(error).kind === "transient";
}

export function classifyDbError(error: unknown): DbErrorClass {
  const { code, errno, message } = (error && typeof error === "object" ? error : {}) as { code?: unknown; errno?: unknown; message?: unknown };
  const sqlstate = String(code ?? "");
  if (TRANSIENT_SQLSTATES.has(sqlstate) || TRANSIENT_CLIENT_CODES.has(sqlstate) || TRANSIENT_CLIENT_CODES.has(String(errno ?? ""))) {
    return { kind: "transient", name: "unavailable", hint: "the database is unreachable or restarting; retrying" };
  }
  if (sqlstate === "WT001") return { kind: "regressed", name: "counters moved back", hint: "the batches get a second opinion" };
  if (sqlstate === "23514" && /no partition of relation/.test(String(message ?? ""))) {
    return { kind: "partition", name: "missing partition", hint: "creating the day's partitions" };
  }
  const blocking = BLOCKING[sqlstate];
  if (blocking) return { kind: "blocking", ...blocking };
  if (sqlstate.startsWith("22") || sqlstate === "23502" || sqlstate === "21000") {
    return { kind: "data", name: "refused data", hint: "the batch holding the refused rows is set aside as failed" };
  }
  return { kind: "blocking", name: sqlstate ? `error ${sqlstate}` : "error", hint: "an unexpected database error; see the message and the database's log" };
}

export function describeDbError(error: unknown): string {
  if (!error || typeof error !== "object") return String(error);
  const { code, message } = error as { code?: string; message?: string };
  return code ? `${message ?? error} (${code})` : String(message ?? error);
}
