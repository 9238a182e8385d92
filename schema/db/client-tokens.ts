/** Per-client tokens created by the operator; only a hash is stored. */
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const clientTokens = pgTable("client_tokens", {
  name: text("name").primaryKey(),
  tokenHash: text("token_hash").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});
