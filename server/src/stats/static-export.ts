/**
 * The static export of the public statistics (`bun run server export --out
 * DIR`, and after each run when `stats.exportDir` is set): plain files that
 * any static host serves, laid out so the statistics page (built later with
 * the dashboard) can sit at DIR/index.html and read them from `data/`.
 *
 *   data/daily.csv, data/daily.json              every date x platform, as GET /api/stats/daily.*
 *   data/account-age.csv, data/account-age.json  as GET /api/stats/account-age.*
 *   data/series/<figure>.csv, .json              one figure over time, a column per platform:
 *       CSV:  date,span_days,complete,xbox,ps,all
 *       JSON: { figure, description, dates: [...], span_days: [...], complete: [...],
 *               values: { xbox: [...], ps: [...], all: [...] } }   (columns, as uPlot takes them)
 *   data/data.js      globalThis.WOTC_STATS = { generated_at, last_date, daily, account_age };
 *                     for a page opened from file://, where Chromium refuses fetch() of local
 *                     JSON but runs a <script src="data/data.js">
 *   data/manifest.json  { generated_at, last_date, dates, files } — written last
 *
 * Every file is written to a temporary name and renamed, so a host syncing
 * the directory never serves half a file.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ACCOUNT_AGE_COLUMNS, DAILY_COLUMNS, inColumnOrder, toCsv, type DailyStatsRow } from "./columns";
import type { StatsSource } from "./source";

/** The figures that get a series file each, with the sentence a chart shows under it. */
export const SERIES: readonly { figure: keyof DailyStatsRow; description: string }[] = [
  { figure: "active_accounts", description: "Accounts whose battles increased since their previous crawl, plus new accounts that played." },
  { figure: "battles", description: "Battles the active accounts played since their previous crawl (a new account's battles count whole)." },
  { figure: "new_accounts", description: "Accounts first seen on the date and created since the previous crawled date." },
  { figure: "accounts_5plus", description: "Active accounts that played at least 5 battles since their previous crawl." },
  { figure: "newly_tracked", description: "Accounts first seen on the date but created before it (first day, a grown range, a batch that failed before); counted nowhere else." },
  { figure: "battles_per_active_account", description: "Battles divided by active accounts." },
];

export interface SeriesFile {
  figure: string;
  description: string;
  dates: string[];
  span_days: (number | null)[];
  complete: boolean[];
  values: Record<"xbox" | "ps" | "all", (number | null)[]>;
}

export interface ExportReport {
  dir: string;
  dates: number;
  lastDate: string | null;
  files: string[];
  seconds: number;
}

export async function exportStatistics(source: StatsSource, outDir: string, now: Date = new Date()): Promise<ExportReport> {
  const started = performance.now();
  const dir = resolve(outDir);
  const [daily, accountAge] = await Promise.all([source.daily({}), source.accountAge({})]);
  const dates = [...new Set(daily.map((r) => r.date))];
  const lastDate = dates.at(-1) ?? null;
  const generatedAt = now.toISOString();
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    await writeAtomically(join(dir, "data", name), text);
    files.push(`data/${name}`);
  };

  const dailyRows = daily.map((row) => inColumnOrder(DAILY_COLUMNS, row));
  const ageRows = accountAge.map((row) => inColumnOrder(ACCOUNT_AGE_COLUMNS, row));
  await put("daily.csv", toCsv(DAILY_COLUMNS, daily));
  await put("daily.json", json(dailyRows));
  await put("account-age.csv", toCsv(ACCOUNT_AGE_COLUMNS, accountAge));
  await put("account-age.json", json(ageRows));
  for (const { figure, description } of SERIES) {
    const series = seriesOf(daily, dates, figure, description);
    await put(`series/${figure}.json`, json(series));
    await put(`series/${figure}.csv`, seriesCsv(series));
  }
  await put("data.js", `globalThis.WOTC_STATS = ${JSON.stringify({ generated_at: generatedAt, last_date: lastDate, daily: dailyRows, account_age: ageRows })};\n`);
  await put("manifest.json", json({ generated_at: generatedAt, last_date: lastDate, dates: dates.length, files: [...files, "data/manifest.json"] }));
  return { dir, dates: dates.length, lastDate, files, seconds: (performance.now() - started) / 1000 };
}

export function describeExport(report: ExportReport): string {
  return `static export: ${report.dates} date${report.dates === 1 ? "" : "s"}${report.lastDate ? ` (last ${report.lastDate})` : ""} in ${report.files.length} files under ${report.dir}/data`;
}

function seriesOf(daily: DailyStatsRow[], dates: string[], figure: keyof DailyStatsRow, description: string): SeriesFile {
  const at = new Map(daily.map((r) => [`${r.date} ${r.platform}`, r]));
  const pick = (platform: "xbox" | "ps" | "all") => dates.map((d) => (at.get(`${d} ${platform}`)?.[figure] ?? null) as number | null);
  const any = (d: string) => at.get(`${d} all`) ?? at.get(`${d} xbox`)!;
  return {
    figure,
    description,
    dates,
    span_days: dates.map((d) => any(d).span_days),
    complete: dates.map((d) => any(d).complete),
    values: { xbox: pick("xbox"), ps: pick("ps"), all: pick("all") },
  };
}

function seriesCsv(series: SeriesFile): string {
  const rows = series.dates.map((date, i) => ({
    date,
    span_days: series.span_days[i] ?? null,
    complete: series.complete[i]!,
    xbox: series.values.xbox[i] ?? null,
    ps: series.values.ps[i] ?? null,
    all: series.values.all[i] ?? null,
  }));
  return toCsv(["date", "span_days", "complete", "xbox", "ps", "all"] as const, rows);
}

const json = (value: unknown) => `${JSON.stringify(value)}\n`;

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, path);
}
