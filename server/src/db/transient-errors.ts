/**
 * Which database errors are worth retrying: the server went away or is
 * restarting, or two writers collided. Anything else is a bug or bad data, and
 * retrying it forever would hide it.
 */
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

export function isTransientDbError(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  const code = String((error as { code?: unknown }).code ?? "");
  const errno = String((error as { errno?: unknown }).errno ?? "");
  return TRANSIENT_SQLSTATES.has(code) || TRANSIENT_CLIENT_CODES.has(code) || TRANSIENT_CLIENT_CODES.has(errno);
}

export function describeDbError(error: unknown): string {
  if (!error || typeof error !== "object") return String(error);
  const { code, message } = error as { code?: string; message?: string };
  return code ? `${message ?? error} (${code})` : String(message ?? error);
}
