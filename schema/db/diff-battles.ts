/**
 * What a player added on a run date: new totals minus the previous ones (or
 * the totals themselves for a new player with battles), one partition per UTC
 * day. Written only by the players triggers; a second change on the same day
 * adds to the row.
 *
 * Created by the hand-written migration `0001_partitioned_tables.sql`, for the
 * reason given in total-battles.ts; this object serves typed queries only.
 */
import { bigint, date, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import type { Platform } from "../player.ts";
import { counterColumns } from "./counters.ts";

export const diffBattles = pgTable(
  "diff_battles",
  {
    accountId: bigint("account_id", { mode: "number" }).notNull(),
    date: date("date", { mode: "string" }).notNull(),
    console: text("console").$type<Platform>().notNull(),
    ...counterColumns(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.date] })],
);
