/**
 * The public statistics as data (issue 14), for anyone: aggregates only, no
 * page or field names a player. Shapes: server/src/stats/columns.ts.
 *
 *   GET /api/stats/daily.csv | daily.json              one row per date and platform
 *   GET /api/stats/account-age.csv | account-age.json  active accounts by creation year
 *
 * Both take `?from=YYYY-MM-DD` and `?to=YYYY-MM-DD` (inclusive, either may be
 * left out); a malformed date, or from after to, is a 400 naming the parameter.
 * CORS is open so a page on another host (or the static export) can fetch them.
 */
import { Hono, type Context } from "hono";
import { ACCOUNT_AGE_COLUMNS, DAILY_COLUMNS, inColumnOrder, toCsv, type AccountAgeRow, type DailyStatsRow } from "../stats/columns";
import { parseDateRange } from "../stats/date-range";
import type { DateRange, StatsSource } from "../stats/source";

/** The figures change once a day, after the run: a short cache is plenty. */
const CACHE_CONTROL = "public, max-age=300";

export function statsRoute(deps: { stats?: StatsSource }) {
  const app = new Hono();
  const { stats } = deps;
  app.use("/api/stats/*", async (c, next) => {
    await next();
    c.header("Access-Control-Allow-Origin", "*");
  });
  if (!stats) return app.all("/api/stats/*", (c) => c.json({ error: "statistics are not available on this server" }, 404));

  const serve = <Row,>(name: string, columns: readonly (keyof Row & string)[], read: (range: DateRange) => Promise<Row[]>) => {
    const handler = (format: "csv" | "json") => async (c: Context) => {
      const parsed = parseDateRange({ from: c.req.query("from"), to: c.req.query("to") });
      if (!parsed.ok) return c.json({ error: parsed.error }, 400);
      const rows = await read(parsed.range);
      c.header("Cache-Control", CACHE_CONTROL);
      if (format === "json") return c.json(rows.map((row) => inColumnOrder(columns, row)));
      c.header("Content-Type", "text/csv; charset=utf-8");
      c.header("Content-Disposition", `inline; filename="wotc-${name}.csv"`);
      return c.body(toCsv(columns, rows));
    };
    app.get(`/api/stats/${name}.csv`, handler("csv"));
    app.get(`/api/stats/${name}.json`, handler("json"));
  };
  serve<DailyStatsRow>("daily", DAILY_COLUMNS, (range) => stats.daily(range));
  serve<AccountAgeRow>("account-age", ACCOUNT_AGE_COLUMNS, (range) => stats.accountAge(range));
  return app;
}
