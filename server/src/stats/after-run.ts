/**
 * The statistics' part of the after-run steps: compute the date's figures
 * (and its successor's, when the date was backfilled before it), then write
 * the static export if `stats.exportDir` is set. A failure here never loses
 * crawl data: it is reported (the run exits 1) and `bun run server stats
 * recompute` / `export` repeat it.
 */
import type { Sql } from "../db/client";
import { computeAfterRun, describeDayStats, type DayStats } from "./compute";
import { describeExport, exportStatistics, type ExportReport } from "./static-export";
import { statsFromDatabase } from "./source";
import { crawledDatesWithoutStats } from "../db/queries/crawled-dates";

export interface StatsReport {
  days: DayStats[];
  /** Crawled dates older than this feature, or left out by a failed computation: `stats recompute` fills them. */
  missing: number;
  export?: ExportReport;
  error?: string;
}

export async function statsAfterRun(deps: { sql: Sql; exportDir: string | null }, date: string): Promise<StatsReport> {
  const report: StatsReport = { days: [], missing: 0 };
  let step = `computing the statistics of ${date}`;
  try {
    report.days = await computeAfterRun(deps.sql, date);
    report.missing = (await crawledDatesWithoutStats(deps.sql)).length;
    if (deps.exportDir) {
      step = `writing the static export to ${deps.exportDir}`;
      report.export = await exportStatistics(statsFromDatabase(deps.sql), deps.exportDir);
    }
  } catch (error) {
    report.error = `${step} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  return report;
}

export function describeStats(report: StatsReport): string[] {
  const lines = report.days.map(describeDayStats);
  if (report.missing > 0) {
    lines.push(`statistics: ${report.missing} earlier crawled date${report.missing > 1 ? "s have" : " has"} none yet; \`bun run server stats recompute\` computes them`);
  }
  if (report.export) lines.push(describeExport(report.export));
  if (report.error) lines.push(`statistics: ERROR ${report.error}; the crawl data is safe, \`bun run server stats recompute\` and \`export\` repeat it`);
  return lines;
}
