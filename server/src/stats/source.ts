/** Where the public statistics are read from: the stored rows, never the player tables. */
import type { Sql } from "../db/client";
import { accountAgeRows, dailyStatsRows, type DateRange } from "../db/queries/daily-stats-rows";
import type { AccountAgeRow, DailyStatsRow } from "./columns";

export type { DateRange } from "../db/queries/daily-stats-rows";

export interface StatsSource {
  daily(range: DateRange): Promise<DailyStatsRow[]>;
  accountAge(range: DateRange): Promise<AccountAgeRow[]>;
}

export function statsFromDatabase(sql: Sql): StatsSource {
  return {
    daily: (range) => dailyStatsRows(sql, range),
    accountAge: (range) => accountAgeRows(sql, range),
  };
}
