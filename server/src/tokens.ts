/**
 * Client tokens: created by the operator (`bun run server token add NAME`),
 * shown once, stored only as a SHA-256 hash. A token is 32 random bytes, so a
 * plain hash (no salt, no slow KDF) is enough: nobody can brute-force it.
 */
import type postgres from "postgres";

export interface TokenInfo {
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export function hashToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

export function newToken(): string {
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  // One in 64 would start with "-" and read as a flag: `--token -x…` fails; draw again
  return token.startsWith("-") ? newToken() : token;
}

export class TokenStore {
  constructor(private readonly sql: postgres.Sql) {}

  /** Creates (or replaces) NAME's token and returns it; it is never shown again. */
  async add(name: string): Promise<string> {
    if (!/^[\w.@-]{1,64}$/.test(name)) throw new Error(`token name "${name}": use 1-64 letters, digits, '.', '@', '_' or '-'`);
    const token = newToken();
    await this.sql`
      INSERT INTO client_tokens (name, token_hash, created_at, revoked_at)
      VALUES (${name}, ${hashToken(token)}, now(), NULL)
      ON CONFLICT (name) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now(), revoked_at = NULL`;
    return token;
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.sql<{ name: string; created_at: Date; revoked_at: Date | null }[]>`
      SELECT name, created_at, revoked_at FROM client_tokens ORDER BY name`;
    return rows.map((row) => ({ name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at }));
  }

  async revoke(name: string): Promise<boolean> {
    const rows = await this.sql`UPDATE client_tokens SET revoked_at = now() WHERE name = ${name} AND revoked_at IS NULL RETURNING name`;
    return rows.length > 0;
  }

  /** Of `names`, those that still have an unrevoked token (for dropping revoked clients' open sockets). */
  /** Of these token hashes, those still valid: neither revoked nor replaced by a newer token for the name. */
  async stillValid(hashes: string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const rows = await this.sql<{ token_hash: string }[]>`
      SELECT token_hash FROM client_tokens WHERE token_hash = ANY(${hashes}::text[]) AND revoked_at IS NULL`;
    return new Set(rows.map((row) => row.token_hash));
  }

  /** The name a valid, unrevoked token belongs to; undefined otherwise. */
  async verify(token: string | undefined): Promise<string | undefined> {
    if (!token || token.length > 256) return undefined;
    const rows = await this.sql<{ name: string }[]>`
      SELECT name FROM client_tokens WHERE token_hash = ${hashToken(token)} AND revoked_at IS NULL`;
    return rows[0]?.name;
  }
}
