/**
 * GET /api/stats/daily.csv|json and account-age.csv|json through the app
 * (app.request, no socket), on statistics computed from two ingested days.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { statsRoute } from "../../server/src/routes/stats.ts";
import { DAILY_COLUMNS } from "../../server/src/stats/columns.ts";
import { computeAfterRun } from "../../server/src/stats/compute.ts";
import { statsFromDatabase } from "../../server/src/stats/source.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { ingestTinyDay } from "../support/ingest-day.ts";

let db: TestDatabase;
let app: ReturnType<typeof statsRoute>;
beforeAll(async () => {
  db = await createTestDatabase();
  await ingestTinyDay(db, "2026-03-01", [{ id: 101, created: "2015-05-01T10:00:00Z", battles: 10 }]);
  await computeAfterRun(db.sql, "2026-03-01");
  await ingestTinyDay(db, "2026-03-02", [
    { id: 101, created: "2015-05-01T10:00:00Z", battles: 16 },
    { id: 1001, created: "2026-03-02T01:00:00Z", battles: 2 },
  ]);
  await computeAfterRun(db.sql, "2026-03-02");
  app = statsRoute({ stats: statsFromDatabase(db.sql) });
}, 60_000);
afterAll(() => db?.drop(), 60_000);

const get = async (path: string): Promise<Response> => app.request(`http://tracker${path}`);

test("daily.csv: the nine fixed columns first, one row per date and platform, oldest first", async () => {
  const response = await get("/api/stats/daily.csv");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  const lines = (await response.text()).trimEnd().split("\r\n");
  expect(lines[0]!.split(",").slice(0, 9)).toEqual([
    "date", "platform", "active_accounts", "battles", "new_accounts", "accounts_5plus", "newly_tracked", "span_days", "complete",
  ]);
  expect(lines[0]).toBe(DAILY_COLUMNS.join(","));
  const cells = lines.slice(1).map((line) => line.split(",").slice(0, 9));
  expect(cells).toEqual([
    ["2026-03-01", "xbox", "0", "0", "0", "0", "1", "", "true"],
    ["2026-03-01", "ps", "0", "0", "0", "0", "0", "", "true"],
    ["2026-03-01", "all", "0", "0", "0", "0", "1", "", "true"],
    ["2026-03-02", "xbox", "1", "6", "0", "1", "0", "1", "true"],
    ["2026-03-02", "ps", "1", "2", "1", "0", "0", "1", "true"],
    ["2026-03-02", "all", "2", "8", "1", "1", "0", "1", "true"],
  ]);
});

test("daily.json has the same fields in the same order, with numbers, booleans and nulls", async () => {
  const [csv, json] = await Promise.all([get("/api/stats/daily.csv").then((r) => r.text()), get("/api/stats/daily.json").then((r) => r.json())]);
  const rows = json as Record<string, unknown>[];
  expect(rows).toHaveLength(6);
  for (const row of rows) expect(Object.keys(row)).toEqual([...DAILY_COLUMNS]);
  expect(rows[5]).toMatchObject({ date: "2026-03-02", platform: "all", active_accounts: 2, battles: 8, span_days: 1, complete: true, battles_per_active_account: 4 });
  expect(rows[0]).toMatchObject({ span_days: null, previous_date: null, battles_per_active_account: null });
  const fromJson = rows.map((row) => DAILY_COLUMNS.map((c) => (row[c] === null ? "" : String(row[c]))).join(","));
  expect(fromJson).toEqual(csv.trimEnd().split("\r\n").slice(1));
});

test("?from= and ?to= select dates inclusively", async () => {
  const dates = async (query: string) => ((await (await get(`/api/stats/daily.json${query}`)).json()) as { date: string }[]).map((r) => r.date);
  expect(await dates("?from=2026-03-02")).toEqual(["2026-03-02", "2026-03-02", "2026-03-02"]);
  expect(await dates("?to=2026-03-01")).toEqual(["2026-03-01", "2026-03-01", "2026-03-01"]);
  expect(await dates("?from=2026-03-01&to=2026-03-01")).toHaveLength(3);
  expect(await dates("?from=2027-01-01")).toEqual([]);
});

test("a bad date or a backwards range is a 400 that names the parameter", async () => {
  for (const [query, message] of [
    ["?from=2026-3-1", "from=2026-3-1: expected a date as YYYY-MM-DD (UTC), e.g. from=2026-03-01"],
    ["?to=2026-02-30", "to=2026-02-30: expected a date as YYYY-MM-DD (UTC), e.g. to=2026-03-01"],
    ["?from=yesterday", "from=yesterday: expected a date as YYYY-MM-DD (UTC), e.g. from=2026-03-01"],
    ["?from=2026-03-02&to=2026-03-01", "from=2026-03-02 is after to=2026-03-01: the range is inclusive and must run forwards"],
  ]) {
    for (const path of ["/api/stats/daily.csv", "/api/stats/account-age.json"]) {
      const response = await get(`${path}${query}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: message });
    }
  }
});

test("account-age: active accounts by creation year with the date's completeness", async () => {
  const response = await get("/api/stats/account-age.csv?from=2026-03-02");
  expect((await response.text()).trimEnd().split("\r\n")).toEqual([
    "date,platform,created_year,active_accounts,battles,complete,span_days",
    "2026-03-02,xbox,2015,1,6,true,1",
    "2026-03-02,ps,2026,1,2,true,1",
    "2026-03-02,all,2015,1,6,true,1",
    "2026-03-02,all,2026,1,2,true,1",
  ]);
});

test("without a statistics source the endpoints say so with a 404", async () => {
  const response = await statsRoute({}).request("http://tracker/api/stats/daily.csv");
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual({ error: "statistics are not available on this server" });
});
