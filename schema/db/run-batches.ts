/**
 * The ledger of committed batches: a row is written in the same transaction
 * as the batch's players, so a batch listed here is never queried again that
 * day, and one missing from it is. Each row also says who answered the batch
 * and whether, and by whom, the answer was checked (provenance).
 */
import { bigint, date, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { Platform } from "../player.ts";

/**
 * operator: answered by a token the operator trusts, never checked;
 * skipped: a trusted token's answer not drawn for a spot check;
 * agreed: another token's answer matched it;
 * unchecked: it should have been checked, but no other client was there (checked later, when one is);
 * repaired: written again after its first answerer was found lying, or a later check disagreed.
 */
export const CHECK_STATES = ["operator", "skipped", "agreed", "unchecked", "repaired"] as const;
export type CheckState = (typeof CHECK_STATES)[number];

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
    /** Token name of the client whose answer was written. */
    answeredBy: text("answered_by"),
    checkState: text("check_state").$type<CheckState>(),
    /** Token names whose answers confirmed it, comma-separated; null when unchecked. */
    checkedBy: text("checked_by"),
    /** sha256 (first 32 hex digits) of the written answer, so a later check can be compared without the rows. */
    answerHash: text("answer_hash"),
  },
  (t) => [primaryKey({ columns: [t.runDate, t.platform, t.start] })],
);
