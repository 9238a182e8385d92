/**
 * Client tokens: created by the operator (`bun run server token add NAME`),
 * shown once, stored only as a SHA-256 hash. A token is 32 random bytes, so a
 * plain hash (no salt, no slow KDF) is enough: nobody can brute-force it.
 *
 * Each token also carries its trust (schema/db/client-tokens.ts): the crawl's
 * verification reads it when the token connects and writes back what it
 * learned (agreements, promotion to trusted, suspension of a liar).
 */
import type postgres from "postgres";
import type { TrustLevel } from "@wotc/schema/db/client-tokens";

export type { TrustLevel } from "@wotc/schema/db/client-tokens";

export interface TokenInfo {
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
  trust: TrustLevel;
  agreements: number;
  disagreements: number;
  suspendedAt: Date | null;
  suspendedReason: string | null;
}

/** What a valid token is allowed: its name and trust; a suspended token is refused with its reason. */
export interface TokenIdentity {
  name: string;
  trust: TrustLevel;
  agreements: number;
  suspended: { at: Date; reason: string } | null;
}

export const TOKEN_NAME = /^[\w.@-]{1,64}$/;

export function hashToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

export function newToken(): string {
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  // One in 64 would start with "-" and read as a flag: `--token -x…` fails; draw again
  return token.startsWith("-") ? newToken() : token;
}

interface TokenRow {
  name: string;
  created_at: Date;
  revoked_at: Date | null;
  trust: TrustLevel;
  agreements: number;
  disagreements: number;
  suspended_at: Date | null;
  suspended_reason: string | null;
}

export class TokenStore {
  constructor(private readonly sql: postgres.Sql) {}

  /**
   * Creates (or replaces) NAME's token and returns it; it is never shown again.
   * A replaced token starts over as new (the new secret may be in other
   * hands), unless the operator marks it trusted.
   */
  async add(name: string, options: { trusted?: boolean } = {}): Promise<string> {
    checkName(name);
    const token = newToken();
    const trust: TrustLevel = options.trusted ? "operator" : "new";
    await this.sql`
      INSERT INTO client_tokens (name, token_hash, created_at, revoked_at, trust, agreements, disagreements, suspended_at, suspended_reason)
      VALUES (${name}, ${hashToken(token)}, now(), NULL, ${trust}, 0, 0, NULL, NULL)
      ON CONFLICT (name) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now(), revoked_at = NULL,
        trust = EXCLUDED.trust, agreements = 0, disagreements = 0, suspended_at = NULL, suspended_reason = NULL`;
    return token;
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.sql<TokenRow[]>`
      SELECT name, created_at, revoked_at, trust, agreements, disagreements, suspended_at, suspended_reason
      FROM client_tokens ORDER BY name`;
    return rows.map(toInfo);
  }

  async get(name: string): Promise<TokenInfo | undefined> {
    const rows = await this.sql<TokenRow[]>`
      SELECT name, created_at, revoked_at, trust, agreements, disagreements, suspended_at, suspended_reason
      FROM client_tokens WHERE name = ${name}`;
    return rows[0] ? toInfo(rows[0]) : undefined;
  }

  async revoke(name: string): Promise<boolean> {
    const rows = await this.sql`UPDATE client_tokens SET revoked_at = now() WHERE name = ${name} AND revoked_at IS NULL RETURNING name`;
    return rows.length > 0;
  }

  /** Suspends NAME (a client found lying, or the operator's decision); false when there is no such active token. */
  async suspend(name: string, reason: string): Promise<boolean> {
    const rows = await this.sql`
      UPDATE client_tokens SET suspended_at = now(), suspended_reason = ${reason.slice(0, 1000)}
      WHERE name = ${name} AND revoked_at IS NULL AND suspended_at IS NULL RETURNING name`;
    return rows.length > 0;
  }

  /**
   * Lifts a suspension. The token starts over as new: it earns trust again by
   * agreeing answers (or is marked trusted by the operator with `trusted`).
   */
  async reinstate(name: string, options: { trusted?: boolean } = {}): Promise<boolean> {
    const rows = await this.sql`
      UPDATE client_tokens SET suspended_at = NULL, suspended_reason = NULL,
        trust = ${options.trusted ? "operator" : "new"}, agreements = CASE WHEN ${options.trusted ?? false} THEN agreements ELSE 0 END
      WHERE name = ${name} AND revoked_at IS NULL AND suspended_at IS NOT NULL RETURNING name`;
    return rows.length > 0;
  }

  /** Sets NAME's trust level (`token trust NAME` marks an operator's own machine). */
  async setTrust(name: string, trust: TrustLevel): Promise<boolean> {
    const rows = await this.sql`UPDATE client_tokens SET trust = ${trust} WHERE name = ${name} AND revoked_at IS NULL RETURNING name`;
    return rows.length > 0;
  }

  /**
   * Adds what the crawl learned about tokens since the last call (agreeing
   * and outvoted answers), and promotes those that reached trust. One
   * statement for all of them.
   */
  async recordVerdicts(updates: { name: string; agreements: number; disagreements: number; trust?: TrustLevel }[]): Promise<void> {
    if (updates.length === 0) return;
    await this.sql`
      UPDATE client_tokens AS t SET
        agreements = t.agreements + u.agreements,
        disagreements = t.disagreements + u.disagreements,
        trust = CASE WHEN t.trust = 'new' AND u.trust = 'trusted' THEN 'trusted' ELSE t.trust END
      FROM unnest(${updates.map((u) => u.name)}::text[], ${updates.map((u) => u.agreements)}::int4[],
                  ${updates.map((u) => u.disagreements)}::int4[], ${updates.map((u) => u.trust ?? "")}::text[])
        AS u(name, agreements, disagreements, trust)
      WHERE t.name = u.name`;
  }

  /** Of these token hashes, those still valid: neither revoked, replaced by a newer token for the name, nor suspended. */
  async stillValid(hashes: string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const rows = await this.sql<{ token_hash: string }[]>`
      SELECT token_hash FROM client_tokens
      WHERE token_hash = ANY(${hashes}::text[]) AND revoked_at IS NULL AND suspended_at IS NULL`;
    return new Set(rows.map((row) => row.token_hash));
  }

  /** The identity of a valid, unrevoked token (suspended ones included, with the reason); undefined otherwise. */
  async verify(token: string | undefined): Promise<TokenIdentity | undefined> {
    if (!token || token.length > 256) return undefined;
    const rows = await this.sql<TokenRow[]>`
      SELECT name, created_at, revoked_at, trust, agreements, disagreements, suspended_at, suspended_reason
      FROM client_tokens WHERE token_hash = ${hashToken(token)} AND revoked_at IS NULL`;
    const row = rows[0];
    if (!row) return undefined;
    return {
      name: row.name,
      trust: row.trust,
      agreements: row.agreements,
      suspended: row.suspended_at ? { at: row.suspended_at, reason: row.suspended_reason ?? "suspended" } : null,
    };
  }
}

function checkName(name: string): void {
  if (!TOKEN_NAME.test(name)) throw new Error(`token name "${name}": use 1-64 letters, digits, '.', '@', '_' or '-'`);
}

function toInfo(row: TokenRow): TokenInfo {
  return {
    name: row.name,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    trust: row.trust,
    agreements: row.agreements,
    disagreements: row.disagreements,
    suspendedAt: row.suspended_at,
    suspendedReason: row.suspended_reason,
  };
}

/** `token list`'s word for a token's state. */
export function describeTokenState(info: Pick<TokenInfo, "revokedAt" | "suspendedAt" | "suspendedReason" | "trust">): string {
  if (info.revokedAt) return "revoked";
  if (info.suspendedAt) return `suspended: ${info.suspendedReason ?? "no reason recorded"}`;
  return info.trust === "operator" ? "trusted (operator)" : info.trust;
}
