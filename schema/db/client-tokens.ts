/**
 * Per-client tokens created by the operator; only a hash is stored. Each token
 * carries its trust: volunteers are strangers, so a new token's answers are
 * checked against other clients' until it has earned trust, an operator's own
 * machine can be marked trusted, and a token caught lying is suspended (with
 * the reason) until the operator reinstates it.
 */
import { sql } from "drizzle-orm";
import { check, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** new: checked on every batch; trusted: earned by agreeing answers, spot-checked; operator: marked by the operator, never checked. */
export const TRUST_LEVELS = ["new", "trusted", "operator"] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

export const clientTokens = pgTable(
  "client_tokens",
  {
    name: text("name").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    trust: text("trust").$type<TrustLevel>().notNull().default("new"),
    /** Answers that another token's answer confirmed exactly, over the token's life. */
    agreements: integer("agreements").notNull().default(0),
    /** Answers outvoted by two other tokens (stale or lying), over the token's life. */
    disagreements: integer("disagreements").notNull().default(0),
    suspendedAt: timestamp("suspended_at", { withTimezone: true }),
    /** Why the token was suspended (shown by `token list`); null when it is not. */
    suspendedReason: text("suspended_reason"),
  },
  (t) => [check("client_tokens_trust_check", sql`${t.trust} IN ('new', 'trusted', 'operator')`)],
);
