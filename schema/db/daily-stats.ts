/**
 * The public daily statistics (issue 14): one row per crawled date and
 * platform (`xbox`, `ps`, and `all` for both), computed inside PostgreSQL
 * after each run (server/src/db/queries/compute-daily-stats.ts) so the
 * statistics page, the CSV/JSON endpoints and the static export read a few
 * hundred rows and never scan `players`.
 *
 * The definitions (exact; tests compare against an oracle built from them),
 * for a crawled date d with p the previous crawled date:
 * - new_accounts: first seen on d and created on or after the UTC day after p;
 * - active_accounts: battles increased since the account's previous crawl, plus
 *   new accounts with battles > 0;
 * - battles: the sum of those increases (a new account's battles count whole);
 * - accounts_5plus: active accounts that played at least 5 of those battles;
 * - newly_tracked: first seen on d but created before the day after p (every
 *   account of the first day, a grown range, a batch that failed before); they
 *   count nowhere else;
 * - span_days: d - p in days (null on the first day);
 * - complete: every batch of d committed and none failed, and the same for p
 *   (or d is the first day).
 */
import { sql } from "drizzle-orm";
import { bigint, check, date, integer, pgTable, primaryKey, text, timestamp, boolean } from "drizzle-orm/pg-core";

export const STATS_PLATFORMS = ["xbox", "ps", "all"] as const;
export type StatsPlatform = (typeof STATS_PLATFORMS)[number];

export const dailyStats = pgTable(
  "daily_stats",
  {
    date: date("date", { mode: "string" }).notNull(),
    platform: text("platform").$type<StatsPlatform>().notNull(),
    activeAccounts: integer("active_accounts").notNull(),
    battles: bigint("battles", { mode: "number" }).notNull(),
    newAccounts: integer("new_accounts").notNull(),
    accounts5plus: integer("accounts_5plus").notNull(),
    newlyTracked: integer("newly_tracked").notNull(),
    /** d - p in days; null on the first crawled date. */
    spanDays: integer("span_days"),
    /** The same for the three rows of a date: it is about the day's batches, not one platform's. */
    complete: boolean("complete").notNull(),
    /** p, the previous crawled date; null on the first. */
    previousDate: date("previous_date", { mode: "string" }),
    /** Active accounts by the battles they played (the increase): 1-4, 5-9, 10-19, 20-49, 50 and more. */
    active1to4: integer("active_1_4").notNull(),
    active5to9: integer("active_5_9").notNull(),
    active10to19: integer("active_10_19").notNull(),
    active20to49: integer("active_20_49").notNull(),
    active50plus: integer("active_50plus").notNull(),
    /** The day's plan, by the platform's ID range (`all`: both): batches planned, committed, set aside as failed. */
    batches: integer("batches").notNull(),
    batchesCommitted: integer("batches_committed").notNull(),
    batchesFailed: integer("batches_failed").notNull(),
    computedAt: timestamp("computed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.date, t.platform] }),
    check("daily_stats_platform_check", sql`${t.platform} IN ('xbox', 'ps', 'all')`),
  ],
);

/** Active accounts of a date by the UTC year their account was created (the account-age chart). */
export const dailyStatsByCreatedYear = pgTable(
  "daily_stats_created_year",
  {
    date: date("date", { mode: "string" }).notNull(),
    platform: text("platform").$type<StatsPlatform>().notNull(),
    createdYear: integer("created_year").notNull(),
    activeAccounts: integer("active_accounts").notNull(),
    battles: bigint("battles", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.date, t.platform, t.createdYear] }),
    check("daily_stats_created_year_platform_check", sql`${t.platform} IN ('xbox', 'ps', 'all')`),
  ],
);
