/** The run ledger on PostgreSQL, built from the one-query modules in queries/. */
import { PLATFORMS } from "@wotc/schema/player";
import type { RunLedger } from "../crawl/ledger";
import type { Sql } from "./client";
import { committedBatches } from "./queries/committed-batches";
import { ensurePartitions } from "./queries/ensure-partitions";
import { finishRun } from "./queries/finish-run";
import { runSummary } from "./queries/run-summary";
import { startOrResumeRun } from "./queries/start-or-resume-run";

export function createRunLedger(sql: Sql): RunLedger {
  return {
    ensurePartitions: (date) => ensurePartitions(sql, date),
    startOrResume: (date, ranges) => startOrResumeRun(sql, date, ranges),
    async committedBatchIds(date, plan) {
      const committed = await committedBatches(sql, date);
      const ids: number[] = [];
      for (const platform of PLATFORMS) {
        for (const start of committed[platform]) {
          const id = plan.idOf(platform, start);
          if (id !== undefined) ids.push(id);
        }
      }
      return ids;
    },
    summary: (date) => runSummary(sql, date),
    finish: (date, result) => finishRun(sql, date, result),
  };
}
