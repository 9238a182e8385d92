/** One row per account: its latest statistics. Writes to it fire the triggers that fill total/diff_battles. */
import { sql } from "drizzle-orm";
import { bigint, check, date, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { Platform } from "../player.ts";
import { counterColumns } from "./counters.ts";

export const players = pgTable(
  "players",
  {
    accountId: bigint("account_id", { mode: "number" }).primaryKey(),
    nickname: text("nickname").notNull(),
    console: text("console").$type<Platform>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    lastBattleTime: timestamp("last_battle_time", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    ...counterColumns(),
    lastApiPull: timestamp("last_api_pull", { withTimezone: true }).notNull(),
    /** The run date on which the account was first ingested: the summary counts new players with it. */
    firstSeen: date("first_seen", { mode: "string" }).notNull(),
    /**
     * The latest run date on which the account was inserted or its battles changed.
     * The triggers use it to tell a first change of the day (plain INSERT into
     * total/diff, fast) from a repeat (ON CONFLICT DO UPDATE); it also finds the
     * day's changed players for the Elasticsearch sync.
     */
    lastChanged: date("last_changed", { mode: "string" }).notNull(),
  },
  (t) => [check("players_console_check", sql`${t.console} IN ('xbox', 'ps')`)],
);
