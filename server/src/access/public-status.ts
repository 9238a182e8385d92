/**
 * What `/api/status` may show a stranger of what went wrong. A database
 * error's text names the host, port and user it failed with ("connect
 * ECONNREFUSED 10.0.0.5:5432", "password authentication failed for user
 * wotc"): the operator needs that, the internet does not. The public sees
 * that the database is in trouble and its error code; an admin sees the text.
 */

/** `… (ECONNREFUSED)` / `… (57P01)`: the code describeDbError puts at the end, which names no place. */
const CODE = /\(([0-9A-Z]{5}|E[A-Z]+|CONNECT(?:ION)?_[A-Z_]+)\)\s*$/;

export function publicDbError(text: string | null): string | null {
  if (text === null) return null;
  const code = CODE.exec(text)?.[1];
  return `the database is unavailable${code ? ` (${code})` : ""}; details on /api/admin/status`;
}

/** A run's status as strangers see it. */
export function publicRunStatus<T extends { dbTrouble: string | null }>(status: T | null): T | null {
  return status && { ...status, dbTrouble: publicDbError(status.dbTrouble) };
}
