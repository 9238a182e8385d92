/** `bun run server export --out DIR`: the stored statistics as static files (stats/static-export.ts has the layout). */
import { crawledDatesWithoutStats } from "../db/queries/crawled-dates";
import { describeExport, exportStatistics } from "../stats/static-export";
import { statsFromDatabase } from "../stats/source";
import { ensureWebBuild } from "../web/web-build";
import type { ToolDeps } from "./run";

export async function runExport({ database, log }: ToolDeps, out: string): Promise<number> {
  const missing = await crawledDatesWithoutStats(database.sql);
  if (missing.length > 0) {
    log(`${missing.length} crawled date${missing.length > 1 ? "s have" : " has"} no statistics yet (from ${missing[0]}); \`bun run server stats recompute\` computes them`);
  }
  const report = await exportStatistics(statsFromDatabase(database.sql), out, { web: () => ensureWebBuild(log) });
  log(describeExport(report));
  return 0;
}
