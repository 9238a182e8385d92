/**
 * A player's totals on each run date he changed (or was first seen), one
 * partition per UTC day. Written only by the players triggers.
 *
 * The table itself is created by the hand-written migration
 * `0001_partitioned_tables.sql`: Drizzle cannot express PARTITION BY
 * (drizzle-orm#2854), so this file is left out of drizzle.config.ts and this
 * object serves typed queries only.
 */
import { bigint, date, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import type { Platform } from "../player.ts";
import { counterColumns } from "./counters.ts";

export const totalBattles = pgTable(
  "total_battles",
  {
    accountId: bigint("account_id", { mode: "number" }).notNull(),
    date: date("date", { mode: "string" }).notNull(),
    console: text("console").$type<Platform>().notNull(),
    ...counterColumns(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.date] })],
);
