/**
 * The static export of the public statistics (`bun run server export --out
 * DIR`, and after each run when `stats.exportDir` is set): plain files that
 * any static host serves, or a browser opens from file://.
 *
 *   index.html, assets/*   the statistics page (GET /stats) made static (page-export.ts)
 *   data/daily.csv, data/daily.json              every date x platform, as GET /api/stats/daily.*
 *   data/account-age.csv, data/account-age.json  as GET /api/stats/account-age.*
 *   data/series/<figure>.csv, .json              one figure over time, a column per platform:
 *       CSV:  date,span_days,complete,xbox,ps,all
 *       JSON: { figure, description, dates: [...], span_days: [...], complete: [...],
 *               values: { xbox: [...], ps: [...], all: [...] } }   (columns, as uPlot takes them)
 *   data/data.js      globalThis.WOTC_STATS = { generated_at, last_date, daily, account_age };
 *                     what the page reads (from file:// Chromium refuses fetch() of local JSON
 *                     but runs a <script src="data/data.js">)
 *   data/manifest.json  { generated_at, last_date, dates, files } — written last
 *
 * Every file is written to a temporary name and renamed, so a host syncing
 * the directory never serves half a file: the data first, then the page's
 * assets, its index.html, the manifest, and last the assets of an earlier
 * page build that the previous manifest listed and this one does not.
 */
import { readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ensureWebBuild, type WebBuild } from "../web/web-build";
import { SERIES, type SeriesFigure } from "../web/stats/figures";
import { writeAtomically } from "./atomic-files";
import { ACCOUNT_AGE_COLUMNS, DAILY_COLUMNS, inColumnOrder, toCsv, type DailyStatsRow } from "./columns";
import { writeStatsPage } from "./page-export";
import type { StatsSource } from "./source";

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

export interface ExportOptions {
  now?: Date;
  /** The built pages (default: the tracker's build, made if missing). */
  web?: () => Promise<WebBuild>;
}

export async function exportStatistics(source: StatsSource, outDir: string, options: ExportOptions = {}): Promise<ExportReport> {
  const started = performance.now();
  const dir = resolve(outDir);
  const [daily, accountAge, before] = await Promise.all([source.daily({}), source.accountAge({}), previousFiles(dir)]);
  const dates = [...new Set(daily.map((r) => r.date))];
  const lastDate = dates.at(-1) ?? null;
  const generatedAt = (options.now ?? new Date()).toISOString();
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
  const web = await (options.web ?? (() => ensureWebBuild(() => {})))();
  files.push(...(await writeStatsPage(web, dir)));
  await put("manifest.json", json({ generated_at: generatedAt, last_date: lastDate, dates: dates.length, files: [...files, "data/manifest.json"] }));
  for (const stale of before.filter((file) => file.startsWith("assets/") && !files.includes(file))) await rm(join(dir, stale), { force: true });
  return { dir, dates: dates.length, lastDate, files, seconds: (performance.now() - started) / 1000 };
}

/** The page's files the previous export's manifest lists (none if there was none). */
async function previousFiles(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, "data", "manifest.json"), "utf8").catch(() => null);
  if (text === null) return [];
  try {
    const files = (JSON.parse(text) as { files?: unknown }).files;
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === "string" && /^assets\/[\w.-]+$/.test(f)) : [];
  } catch {
    return []; // a manifest edited by hand: leave whatever is there
  }
}

export function describeExport(report: ExportReport): string {
  return `static export: ${report.dates} date${report.dates === 1 ? "" : "s"}${report.lastDate ? ` (last ${report.lastDate})` : ""} in ${report.files.length} files under ${report.dir} (the page: index.html; the figures: data/)`;
}

function seriesOf(daily: DailyStatsRow[], dates: string[], figure: SeriesFigure, description: string): SeriesFile {
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
