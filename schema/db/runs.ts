/** One row per crawl, keyed by its UTC date. */
import { sql } from "drizzle-orm";
import { check, date, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { Platform } from "../player.ts";

export const RUN_STATES = ["running", "complete"] as const;
export type RunState = (typeof RUN_STATES)[number];

/** The [min, max) crawled per platform, fixed when the run starts so a resumed run has the same plan. */
export type RunRanges = Record<Platform, { min: number; max: number }>;

export const runs = pgTable(
  "runs",
  {
    runDate: date("run_date", { mode: "string" }).primaryKey(),
    state: text("state").$type<RunState>().notNull().default("running"),
    ranges: jsonb("ranges").$type<RunRanges>().notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** Errors of the run (refused results, failed batches, database trouble...), over the whole run including before a restart. */
    errors: integer("errors").notNull().default(0),
    /** The same errors by kind ({"refused results": 3, ...}), added to as they happen so a restart keeps them. */
    errorCounts: jsonb("error_counts").$type<Record<string, number>>().notNull().default({}),
    /** The summary printed at the end, kept for the status page and later comparison. */
    summary: jsonb("summary"),
  },
  (t) => [check("runs_state_check", sql`${t.state} IN ('running', 'complete')`)],
);
