/**
 * Batches of a day set aside as failed so that the run can end: every client
 * that tried them failed (a poison batch), or their answers kept disagreeing.
 * A day with a row here is not complete; the next run (and a re-run of the
 * same date) tries them again, and a batch's row is deleted when it commits.
 */
import { bigint, date, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { Platform } from "../player.ts";

export const failedBatches = pgTable(
  "failed_batches",
  {
    runDate: date("run_date", { mode: "string" }).notNull(),
    platform: text("platform").$type<Platform>().notNull(),
    start: bigint("start", { mode: "number" }).notNull(),
    end: bigint("end", { mode: "number" }).notNull(),
    /** The last reason a client (or the server) gave, for the summary and the status. */
    reason: text("reason").notNull(),
    /** Attempts that failed, over every client. */
    attempts: integer("attempts").notNull(),
    failedAt: timestamp("failed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runDate, t.platform, t.start] })],
);
