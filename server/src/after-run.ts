/**
 * What happens after every batch of a day is committed, before the run is
 * marked complete: range growth, the daily statistics (and their static
 * export), then the Elasticsearch sync. All run again
 * if the server dies in between (the resumed run finds nothing left to crawl
 * and comes straight here); growth then finds the new max, and the sync
 * re-sends documents whose ids make that harmless.
 */
import type { ServerConfig } from "@wotc/schema/config";
import type { RunSummary } from "./crawl/ledger";
import type { Sql } from "./db/client";
import { describeGrowth, growRanges, type GrowthReport } from "./growth";
import { describeClusterSync, syncElasticsearch, syncFailed, type ClusterSyncReport } from "./export/elastic";
import { describeStats, statsAfterRun, type StatsReport } from "./stats/after-run";

export interface AfterRunReport {
  growth: GrowthReport;
  stats: StatsReport;
  sync: ClusterSyncReport[];
}

export interface AfterRunDeps {
  configPath: string;
  /** Updated in place when a range grows. */
  config: ServerConfig;
  sql: Sql;
  log: (line: string) => void;
}

export async function afterRun(deps: AfterRunDeps, date: string, summary: RunSummary): Promise<AfterRunReport> {
  const growth = await growRanges(deps.configPath, deps.config, { xbox: summary.xbox.maxAccountId, ps: summary.ps.maxAccountId });
  if (growth.grown.length > 0 || growth.error) deps.log(describeGrowth(growth));
  const stats = await statsAfterRun({ sql: deps.sql, exportDir: deps.config.stats.exportDir }, date);
  const clusters = deps.config.elasticsearch;
  if (clusters.length > 0) deps.log(`syncing ${date} into ${clusters.length} Elasticsearch cluster${clusters.length > 1 ? "s" : ""}`);
  const sync = clusters.length > 0 ? await syncElasticsearch({ sql: deps.sql, clusters, dataDir: deps.config.server.dataDir, log: deps.log }, date) : [];
  return { growth, stats, sync };
}

/** The summary's lines for growth and sync. */
export function describeAfterRun(report: AfterRunReport): string[] {
  return [describeGrowth(report.growth), ...describeStats(report.stats), ...report.sync.map(describeClusterSync)];
}

/** Something the operator must act on: growth not written, statistics not computed or exported, or documents neither indexed nor saved. */
export function afterRunFailed(report: AfterRunReport): boolean {
  return report.growth.error !== undefined || report.stats.error !== undefined || syncFailed(report.sync);
}
