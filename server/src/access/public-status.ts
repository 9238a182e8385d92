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

export interface DbTrouble {
  kind: "transient" | "blocking";
  /** The class, from a fixed table ("disk full", "permission denied"): safe to show. */
  name: string;
  hint: string;
  /** The database's own text: for admins only. */
  error: string;
}

/** The crawl's database trouble as strangers see it: the class, the hint and the error code, not the text. */
export function publicDbTrouble(trouble: DbTrouble | null): Omit<DbTrouble, "error"> & { code: string | null } | null {
  if (trouble === null) return null;
  return { kind: trouble.kind, name: trouble.name, hint: trouble.hint, code: CODE.exec(trouble.error)?.[1] ?? null };
}
