/**
 * The public daily statistics end to end: a real server and two real clients
 * crawl a simulated world on five dates (2026-03-03 is missed; the ranges
 * grow after the first date; on 2026-03-04 the simulator answers two batches
 * with nothing but 504s, and the run sets them aside as failed), and
 * - every figure of GET /api/stats/daily.csv and account-age.csv, and of the
 *   static export, equals the figure the stats oracle computes from the world
 *   by the issue's definitions;
 * - the /stats page in Chromium reads the same figures at every date of every
 *   chart, rings the points of the incomplete days and shades the one after
 *   the missed date, and so does the static export opened from file://;
 * - a tracker with no statistics yet says so.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Platform } from "@wotc/schema/player";
import { DAILY_COLUMNS, ACCOUNT_AGE_COLUMNS } from "../../server/src/stats/columns";
import type { World } from "../support/wg-sim/model";
import { startSimulator } from "../support/wg-sim/server";
import { expectedDailyStats, type Crawl } from "../support/wg-sim/stats-oracle";
import { addToken, spawnProc, startClient, startServer, writeServerConfig, type Proc } from "../support/processes";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { openBrowser, type TestBrowser } from "../support/browser";
import { categoryPositions, readDayChart, readTimeCharts, TIME_CHARTS, type DayOnPage } from "../support/stats-page";
import { startTestTracker } from "../support/trackers";
import type { Page } from "playwright-core";

const KEY = "stats-key";
/** Set to a directory to keep screenshots of the page as the tests see it (stats-*.png), for a person to look at. */
const SCREENSHOTS = process.env.WOTC_STATS_SCREENSHOTS;

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `stats-${name}.png`), fullPage: true });
}
const [D1, D2, D4, D5, D6] = ["2026-03-01", "2026-03-02", "2026-03-04", "2026-03-05", "2026-03-06"];

/**
 * 150 accounts a day are created at the top of each platform's range, whose
 * max is only 1,000 IDs above the epoch frontier: both ranges grow by 10,000
 * after the first date, and the accounts already in the new part are newly
 * tracked there.
 */
const world: World = {
  seed: 1414,
  epoch: D1,
  platforms: {
    xbox: { min: 5_000, frontier: 14_000, growthPerDay: 150 },
    ps: { min: 1_073_740_000, frontier: 1_073_749_000, growthPerDay: 150 },
  },
};
const initialRanges = { xbox: { min: 5_000, max: 15_000 }, ps: { min: 1_073_740_000, max: 1_073_750_000 } };
/**
 * Poisoned on 2026-03-04 (every request for them is a 504), so set aside: an
 * Xbox batch of accounts created that day (first seen the next date, created
 * before it: newly tracked) and a PlayStation batch of old ones (their next
 * crawl sees three days of play).
 */
const failedOnD4 = [
  { platform: "xbox" as Platform, start: 14_300, end: 14_400 },
  { platform: "ps" as Platform, start: 1_073_745_000, end: 1_073_745_100 },
];

let sim: ReturnType<typeof startSimulator>;
let db: TestDatabase;
let configPath: string;
let dir: string;
let token: string;
let env: Record<string, string>;
const crawls: Crawl[] = [];
const outputs = new Map<string, string>();

async function currentRanges(): Promise<Crawl["ranges"]> {
  return JSON.parse(await readFile(configPath, "utf8")).ranges;
}

/** One date's run: server and two clients, to the end; the ranges are those the config file holds before it. */
async function crawl(date: string, before?: (ranges: Crawl["ranges"]) => Promise<void>): Promise<Crawl> {
  const ranges = await currentRanges();
  await before?.(ranges);
  sim.setDay(date);
  const server = startServer(configPath, ["--date", date], env);
  const url = `http://127.0.0.1:${(await server.waitFor(/listening on http:\/\/[^:]+:(\d+)/, 60_000))[1]}`;
  const clients = [1, 2].map((i) => startClient(url, token, `volunteer-${i}`));
  expect(await server.exited).toBe(0);
  for (const client of clients) expect(await client.exited).toBe(0);
  outputs.set(date, server.output());
  const done = { date, ranges };
  crawls.push(done);
  return done;
}

async function runCommand(args: string[]): Promise<Proc> {
  const proc = spawnProc(["bun", "server/src/main.ts", "--config", configPath, ...args], env);
  expect(await proc.exited).toBe(0);
  return proc;
}

/** CSV text as rows of strings by column name. */
function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split("\r\n");
  const columns = header!.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((cell, i) => [columns[i]!, cell])));
}

/** The oracle's rows as the CSV writes them: null empty, numbers and booleans as text. */
function asCsvCells<Row extends object>(rows: Row[], columns: readonly string[]): Record<string, string>[] {
  return rows.map((row) =>
    Object.fromEntries(columns.map((c) => [c, (row as Record<string, unknown>)[c] === null ? "" : String((row as Record<string, unknown>)[c])])),
  );
}

beforeAll(async () => {
  sim = startSimulator({ world, day: D1, keys: [KEY] });
  db = await createTestDatabase();
  const fixture = await writeServerConfig({});
  dir = fixture.dir;
  configPath = fixture.configPath;
  await Bun.write(
    configPath,
    JSON.stringify({
      server: { host: "127.0.0.1", port: 0, progressSeconds: 1, leaseSeconds: 30, dataDir: join(dir, "data") },
      // Few attempts: a poisoned batch is given up by a client after 3, and set aside once both clients have.
      wg: { apiBase: sim.url, requestTimeoutMs: 2_000, maxAttempts: 3, keys: [{ applicationId: KEY, rps: null, clients: ["*"] }] },
      ranges: initialRanges,
      growth: { margin: 2_000, step: 10_000 },
      verification: { failAfterClients: 2 },
      stats: { exportDir: join(dir, "site") },
    }),
  );
  env = { DATABASE_URL: db.url };
  token = await addToken(configPath, "volunteer", env);
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe("five crawled dates: a grown range, a missed date, failed batches", () => {
  test("the crawls: the ranges grow after the first date, the poisoned batches are set aside and the run completes", async () => {
    await crawl(D1);
    expect(outputs.get(D1)).toContain(`the crawl writes as "${db.name}_writer"`);
    expect(outputs.get(D1)).toContain(`statistics ${D1} (complete, first crawled date)`);
    expect(outputs.get(D1)).toMatch(/static export: 1 date \(last 2026-03-01\)/);
    const grown = await currentRanges();
    expect(grown.xbox.max).toBeGreaterThan(initialRanges.xbox.max);

    await crawl(D2);
    sim.simulator.setPoison(failedOnD4.map((b) => ({ from: b.start, to: b.end })));
    const d4 = await crawl(D4);
    sim.simulator.setPoison([]);
    d4.failed = failedOnD4;
    expect(outputs.get(D4)).toMatch(new RegExp(`run ${D4} complete in \\S+ with 2 batches failed`));
    expect(outputs.get(D4)).toContain("failed batch xbox [14300, 14400): gave up after 3 attempts; last: WG error 504 SOURCE_NOT_AVAILABLE");
    const failed = await db.sql`select platform, start::int8::text as start, "end"::int8::text as "end" from failed_batches where run_date = ${D4} order by failed_batches.start`;
    expect(failed.map((f) => ({ platform: f.platform, start: Number(f.start), end: Number(f.end) }))).toEqual(failedOnD4);
    expect(outputs.get(D4)).toContain(`statistics ${D4} (incomplete, 2 days after ${D2})`);

    await crawl(D5);
    expect(outputs.get(D5)).toContain(`statistics ${D5} (incomplete, 1 day after ${D4})`);
    await crawl(D6);
    expect(outputs.get(D6)).toContain(`statistics ${D6} (complete, 1 day after ${D5})`);

    // Recomputed from the stored days by the command, the figures are the ones the runs computed.
    const before = await db.sql`select * from daily_stats order by date, platform`;
    const recompute = await runCommand(["stats", "recompute"]);
    expect(recompute.output()).toMatch(/computed the statistics of 5 crawled dates \(2 incomplete\)/);
    const after = await db.sql`select * from daily_stats order by date, platform`;
    const figures = (rows: typeof before) => rows.map(({ computed_at: _, ...row }) => row);
    expect(figures(after)).toEqual(figures(before));
  }, 300_000);

  describe("what a reader downloads", () => {
    let server: Proc;
    let url: string;
    let expected: ReturnType<typeof expectedDailyStats>;
    beforeAll(async () => {
      expected = expectedDailyStats(world, crawls);
      // The next date's run, without clients: the server serves the statistics while it waits for them.
      server = startServer(configPath, ["--date", "2026-03-07"], env);
      url = `http://127.0.0.1:${(await server.waitFor(/listening on http:\/\/[^:]+:(\d+)/, 60_000))[1]}`;
    }, 70_000);
    afterAll(async () => {
      server?.kill("SIGTERM");
      await server?.exited;
    }, 60_000);

    test("the oracle itself sees what the scenario is for", () => {
      const at = (date: string, platform: string) => expected.daily.find((r) => r.date === date && r.platform === platform)!;
      expect(at(D1, "all")).toMatchObject({ active_accounts: 0, battles: 0, new_accounts: 0, span_days: null, complete: true });
      expect(at(D1, "all").newly_tracked).toBeGreaterThan(0);
      expect(at(D2, "xbox").newly_tracked).toBeGreaterThan(0); // the grown part of the range
      expect(at(D2, "xbox").new_accounts).toBeGreaterThan(0);
      expect(at(D4, "all")).toMatchObject({ span_days: 2, complete: false, batches_failed: 2 });
      expect(at(D5, "xbox").newly_tracked).toBeGreaterThan(0); // the accounts of the failed batch
      expect(at(D5, "all").complete).toBe(false);
      expect(at(D6, "all").complete).toBe(true);
      expect(at(D6, "all").active_accounts).toBeGreaterThan(0);
    });

    test("every figure of daily.csv equals the oracle's", async () => {
      const response = await fetch(`${url}/api/stats/daily.csv`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text.split("\r\n")[0]).toBe(DAILY_COLUMNS.join(","));
      expect(parseCsv(text)).toEqual(asCsvCells(expected.daily, DAILY_COLUMNS));
    });

    test("daily.json carries the same figures, typed; ?from=&to= select the dates", async () => {
      const rows = await (await fetch(`${url}/api/stats/daily.json`)).json();
      expect(rows).toEqual(expected.daily);
      const range = await (await fetch(`${url}/api/stats/daily.json?from=${D2}&to=${D4}`)).json();
      expect(range).toEqual(expected.daily.filter((r) => r.date >= D2 && r.date <= D4));
      const bad = await fetch(`${url}/api/stats/daily.csv?from=2026-03-32`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain("from=2026-03-32: expected a date as YYYY-MM-DD");
    });

    test("every figure of account-age.csv equals the oracle's", async () => {
      const text = await (await fetch(`${url}/api/stats/account-age.csv`)).text();
      expect(parseCsv(text)).toEqual(asCsvCells(expected.accountAge, ACCOUNT_AGE_COLUMNS));
    });

    test("the static export written after the last run, and by `export --out`, holds the same figures", async () => {
      const site = join(dir, "site", "data");
      const written = await readFile(join(site, "daily.csv"), "utf8");
      expect(parseCsv(written)).toEqual(asCsvCells(expected.daily, DAILY_COLUMNS));
      // data.js is a script a page opened from file:// can load: it assigns one global.
      const script = await readFile(join(site, "data.js"), "utf8");
      const scope: { WOTC_STATS?: { last_date: string; daily: unknown[]; account_age: unknown[] } } = {};
      new Function("globalThis", script)(scope);
      expect(scope.WOTC_STATS!.last_date).toBe(D6);
      expect(scope.WOTC_STATS!.daily).toEqual(expected.daily);
      expect(scope.WOTC_STATS!.account_age).toEqual(expected.accountAge);
      const active = JSON.parse(await readFile(join(site, "series", "active_accounts.json"), "utf8"));
      const dates = [D1, D2, D4, D5, D6];
      expect(active.dates).toEqual(dates);
      expect(active.complete).toEqual([true, true, false, false, true]);
      expect(active.span_days).toEqual([null, 1, 2, 1, 1]);
      for (const platform of ["xbox", "ps", "all"] as const) {
        expect(active.values[platform]).toEqual(dates.map((d) => expected.daily.find((r) => r.date === d && r.platform === platform)!.active_accounts));
      }

      const out = join(dir, "export-by-hand");
      const exported = await runCommand(["export", "--out", out]);
      expect(exported.output()).toContain(`static export: 5 dates (last ${D6})`);
      for (const file of ["daily.csv", "daily.json", "account-age.csv", "account-age.json", "series/battles.csv"]) {
        expect(await readFile(join(out, "data", file), "utf8")).toBe(await readFile(join(site, file), "utf8"));
      }
      const manifest = JSON.parse(await readFile(join(out, "data", "manifest.json"), "utf8"));
      expect(manifest).toMatchObject({ last_date: D6, dates: 5 });
    });

    describe("the page, in Chromium", () => {
      let browser: TestBrowser;
      beforeAll(async () => {
        browser = await openBrowser();
      }, 30_000);
      afterAll(async () => browser?.close(), 30_000);

      async function open(address: string): Promise<Page> {
        const page = await browser.context.newPage();
        const problems: string[] = [];
        page.on("pageerror", (error) => problems.push(error.message));
        page.on("console", (message) => void (message.type() === "error" && problems.push(message.text())));
        await page.goto(address);
        await page.getByTestId("chart-active_accounts").locator("canvas").waitFor({ timeout: 15_000 });
        expect(problems).toEqual([]);
        return page;
      }

      /** What the page must read at each date: the oracle's figures, the date's marks, the rings and bands. */
      function expectedOnPage(dates: string[]): Map<string, DayOnPage> {
        return new Map(
          dates.map((date, i) => {
            const row = (platform: string) => expected.daily.find((r) => r.date === date && r.platform === platform)!;
            const marks = [row("all").span_days === null ? "first crawled date" : "", row("all").span_days! > 1 ? `covers ${row("all").span_days} days` : "", row("all").complete ? "" : "incomplete"].filter(Boolean);
            const values = Object.fromEntries(TIME_CHARTS.map((figure) => [figure, { xbox: row("xbox")[figure], ps: row("ps")[figure], all: row("all")[figure] }]));
            return [
              date,
              {
                label: `${date}${marks.length ? ` (${marks.join(", ")})` : ""}`,
                values: values as DayOnPage["values"],
                ringed: row("all").complete ? [] : [...TIME_CHARTS],
                // The band reaches back to the previous crawl, which must be on the chart to see it.
                shaded: row("all").span_days! > 1 && i > 0 ? [...TIME_CHARTS] : [],
              },
            ];
          }),
        );
      }

      test("every chart over time reads the oracle's figures at every date; the incomplete dates are ringed, the one after the missed date shaded", async () => {
        const page = await open(`${url}/stats`);
        expect(await page.getByTestId("range-summary").textContent()).toBe(
          `5 crawled dates from ${D1} to ${D6}: 2 incomplete (${D4}, ${D5}); 1 covering several days (${D4}: 2 days).`,
        );
        await screenshot(page, "served-all-dates");
        const read = await readTimeCharts(page);
        expect([...read.keys()]).toEqual([D1, D2, D4, D5, D6]);
        expect(read).toEqual(expectedOnPage([D1, D2, D4, D5, D6]));
        for (const name of TIME_CHARTS) {
          const card = page.locator(`[data-figure="${name}"]`);
          expect(await card.getByTestId(`key-${name}`).textContent()).toContain("incomplete day");
          // The paragraph under it is the one the export's series file carries.
          const series = JSON.parse(await readFile(join(dir, "site", "data", "series", `${name}.json`), "utf8"));
          expect(await card.locator("p.about").textContent()).toBe(series.description);
        }
        // Only aggregates: no nickname of a crawled account anywhere on it.
        const names = (await db.sql`select nickname from players order by account_id limit 200`).map((r) => r.nickname as string);
        const html = await page.content();
        expect(names.filter((name) => html.includes(name))).toEqual([]);
      }, 60_000);

      test("a range around the failed batches shows only its dates, with their marks, and the address keeps it", async () => {
        const page = await open(`${url}/stats`);
        await page.locator("#from").fill(D2);
        await page.locator("#to").fill(D5);
        await page.getByTestId("range-summary").filter({ hasText: `3 crawled dates from ${D2} to ${D5}` }).waitFor({ timeout: 5_000 });
        expect(await page.getByTestId("range-summary").textContent()).toBe(
          `3 crawled dates from ${D2} to ${D5}: 2 incomplete (${D4}, ${D5}); 1 covering several days (${D4}: 2 days).`,
        );
        await page.locator("#day").selectOption(D4);
        await screenshot(page, "served-range-incomplete-days");
        const read = await readTimeCharts(page);
        expect([...read.keys()]).toEqual([D2, D4, D5]);
        expect(read).toEqual(expectedOnPage([D2, D4, D5]));
        expect(new URL(page.url()).hash).toBe(`#from=${D2}&to=${D5}&day=${D4}`);
        const again = await open(page.url());
        expect([...(await readTimeCharts(again)).keys()]).toEqual([D2, D4, D5]);
      }, 60_000);

      test("the day charts of the day with failed batches read its buckets and account ages, and say why it is marked", async () => {
        const page = await open(`${url}/stats`);
        await page.locator("#day").selectOption(D4);
        await page.locator("#day-heading").filter({ hasText: `On ${D4}` }).waitFor({ timeout: 5_000 });
        expect(await page.getByTestId("badge-incomplete").textContent()).toBe("incomplete");
        expect(await page.getByTestId("badge-span").textContent()).toBe("covers 2 days");
        const notes = await page.getByTestId("day-notes").textContent();
        expect(notes).toContain(`Covers 2 days: the previous crawl was on ${D2}`);
        expect(notes).toContain("Incomplete: 2 batches were set aside as failed on this date");

        const row = (platform: string) => expected.daily.find((r) => r.date === D4 && r.platform === platform)!;
        const buckets = { "1–4": "active_1_4", "5–9": "active_5_9", "10–19": "active_10_19", "20–49": "active_20_49", "50+": "active_50plus" } as const;
        const expectedBuckets = new Map(Object.entries(buckets).map(([label, column]) => [label, { xbox: row("xbox")[column], ps: row("ps")[column], all: row("all")[column] }]));
        expect(await readDayChart(page, "buckets")).toEqual(expectedBuckets);

        const ages = expected.accountAge.filter((r) => r.date === D4);
        const years = [...new Set(ages.map((r) => r.created_year))].sort();
        const active = (platform: string, year: number) => ages.find((r) => r.platform === platform && r.created_year === year)?.active_accounts ?? 0;
        expect(await readDayChart(page, "account-age")).toEqual(new Map(years.map((y) => [String(y), { xbox: active("xbox", y), ps: active("ps", y), all: active("all", y) }])));

        // Clicking a date on a chart over time picks it for the day charts.
        const chart = page.getByTestId("chart-battles");
        const positions = await categoryPositions(page, chart);
        const box = (await chart.locator(".u-over").boundingBox())!;
        await page.mouse.click(positions.get(D6)!, box.y + box.height / 2);
        await page.locator("#day-heading").filter({ hasText: `On ${D6}` }).waitFor({ timeout: 5_000 });
        expect(await page.locator("#day").inputValue()).toBe(D6);
        expect(await page.getByTestId("badge-incomplete").count()).toBe(0);
      }, 60_000);

      test("the static export opened from file:// reads the same figures and marks", async () => {
        const page = await open(`file://${join(dir, "site", "index.html")}`);
        expect(await page.locator("#origin").textContent()).toMatch(/^exported \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC; 5 crawled dates/);
        await page.locator("#day").selectOption(D5);
        await screenshot(page, "export-file-url");
        const read = await readTimeCharts(page);
        expect(read).toEqual(expectedOnPage([D1, D2, D4, D5, D6]));
        expect(await page.getByTestId("badge-incomplete").textContent()).toBe("incomplete");
        const row = (platform: string) => expected.daily.find((r) => r.date === D5 && r.platform === platform)!;
        expect((await readDayChart(page, "buckets")).get("1–4")).toEqual({ xbox: row("xbox").active_1_4, ps: row("ps").active_1_4, all: row("all").active_1_4 });
        expect(await page.locator("#downloads a").evaluateAll((links) => links.map((a) => a.getAttribute("href")))).toEqual([
          "data/daily.csv",
          "data/daily.json",
          "data/account-age.csv",
          "data/account-age.json",
        ]);
      }, 60_000);
    });
  });
});

describe("a tracker with no statistics yet", () => {
  test("its /stats page says so, with no chart and no error", async () => {
    const t = await startTestTracker({ seed: 1415, day: D1 });
    const browser = await openBrowser();
    try {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      await page.goto(`${t.url}/stats`);
      await page.getByRole("heading", { name: "No statistics yet" }).waitFor({ timeout: 15_000 });
      expect(await page.locator("#content").isHidden()).toBe(true);
      expect(await page.locator(".uplot").count()).toBe(0);
      expect(problems).toEqual([]);
      await screenshot(page, "served-empty");
    } finally {
      await browser.close();
      await t.cleanup();
    }
  }, 60_000);
});
