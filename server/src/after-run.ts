/**
 * What happens after every batch of a day is committed, before the run is
 * marked complete: range growth, then the Elasticsearch sync. Both run again
 * if the server dies in between (the resumed run finds nothing left to crawl
 * and comes straight here); growth then finds the new max, and the sync
 * re-sends documents whose ids make that harmless.
 */
import type { ServerConfig } from "@wotc/schema/config";
import type { RunSummary } from "./crawl/ledger";
import type { Sql } from "./db/client";
import { describeGrowth, growRanges, type GrowthReport } from "./growth";
import { describeClusterSync, syncElasticsearch, syncFailed, type ClusterSyncReport } from "./export/elastic";

export interface AfterRunReport {
  growth: GrowthReport;
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
  const clusters = deps.config.elasticsearch;
  if (clusters.length > 0) deps.log(`syncing ${date} into ${clusters.length} Elasticsearch cluster${clusters.length > 1 ? "s" : ""}`);
  const sync = clusters.length > 0 ? await syncElasticsearch({ sql: deps.sql, clusters, dataDir: deps.config.server.dataDir, log: deps.log }, date) : [];
  return { growth, sync };
}

/** The summary's lines for growth and sync. */
export function describeAfterRun(report: AfterRunReport): string[] {
  return [describeGrowth(report.growth), ...report.sync.map(describeClusterSync)];
}

/** Something the operator must act on: growth not written, or documents neither indexed nor saved. */
export function afterRunFailed(report: AfterRunReport): boolean {
  return report.growth.error !== undefined || syncFailed(report.sync);
}
