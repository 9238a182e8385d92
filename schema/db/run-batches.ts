/**
 * The ledger of committed batches: a row is written in the same transaction
 * as the batch's players, so a batch listed here is never queried again that
 * day, and one missing from it is.
 */
import { bigint, date, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { Platform } from "../player.ts";

export const runBatches = pgTable(
  "run_batches",
  {
    runDate: date("run_date", { mode: "string" }).notNull(),
    platform: text("platform").$type<Platform>().notNull(),
    start: bigint("start", { mode: "number" }).notNull(),
    end: bigint("end", { mode: "number" }).notNull(),
    found: integer("found").notNull(),
    maxAccountId: bigint("max_account_id", { mode: "number" }),
    committedAt: timestamp("committed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runDate, t.platform, t.start] })],
);
