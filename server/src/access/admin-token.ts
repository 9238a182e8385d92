/**
 * The admin token: `admin.token` from the config, else a random one kept in
 * `<dataDir>/admin.token` (created on first start, mode 0600), so the operator
 * can `curl -H "Authorization: Bearer $(cat data/admin.token)"` from elsewhere.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { timingSafeEqual } from "node:crypto";
import { newToken } from "../tokens";

export const ADMIN_TOKEN_FILE = "admin.token";

export async function loadAdminToken(configured: string | null, dataDir: string): Promise<{ token: string; source: string }> {
  if (configured) return { token: configured, source: "config admin.token" };
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const existing = await readFile(file, "utf8").then(
    (text) => text.trim(),
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw new Error(`cannot read the admin token ${file}: ${error.message}`);
    },
  );
  if (existing) return { token: existing, source: file };
  const token = newToken();
  try {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  } catch (error) {
    throw new Error(`cannot write the admin token ${file}: ${(error as Error).message}`);
  }
  return { token, source: file };
}

/** Constant-time comparison, so response timing does not leak how much of a guess was right. */
export function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
