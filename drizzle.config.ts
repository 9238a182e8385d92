import { defineConfig } from "drizzle-kit";

/**
 * `bun run db:generate` writes migrations for the plain tables into
 * schema/migrations/. total_battles and diff_battles are deliberately not listed:
 * drizzle-kit cannot emit PARTITION BY (drizzle-orm#2854) and would generate
 * plain tables for them. They, create_day_partitions() and the players triggers
 * live in hand-written migrations made with `drizzle-kit generate --custom`,
 * which drizzle-kit never rewrites.
 */
export default defineConfig({
  dialect: "postgresql",
  schema: [
    "./schema/db/players.ts",
    "./schema/db/runs.ts",
    "./schema/db/run-batches.ts",
    "./schema/db/client-tokens.ts",
    "./schema/db/failed-batches.ts",
    "./schema/db/daily-stats.ts",
  ],
  out: "./schema/migrations",
});
