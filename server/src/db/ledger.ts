/** The run ledger on PostgreSQL, built from the one-query modules in queries/. */
import { PLATFORMS } from "@wotc/schema/player";
import type { RunLedger } from "../crawl/ledger";
import type { Sql } from "./client";
import { addRunErrors } from "./queries/add-run-errors";
import { batchProvenance, markChecked } from "./queries/batch-provenance";
import { committedBatches } from "./queries/committed-batches";
import { ensurePartitions } from "./queries/ensure-partitions";
import { failedBatches, recordFailedBatch } from "./queries/failed-batches";
import { finishRun } from "./queries/finish-run";
import { knownAccountBlocks } from "./queries/known-accounts";
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
    async failedBatchIds(date, plan) {
      const ids: number[] = [];
      for (const f of await failedBatches(sql, date)) {
        const id = plan.idOf(f.platform, f.start);
        if (id !== undefined) ids.push(id);
      }
      return ids;
    },
    failedBatches: (date) => failedBatches(sql, date),
    async loadProvenance(date, plan, into) {
      for (const p of await batchProvenance(sql, date)) {
        const id = plan.idOf(p.platform, p.start);
        if (id !== undefined) into.record(id, p.answeredBy, p.checkState, p.answerHash, p.committedAt);
      }
    },
    async loadKnownAccounts(plan, known) {
      for (const platform of PLATFORMS) {
        const range = plan.ranges[platform];
        const first = plan.idOf(platform, range.min);
        if (first === undefined) continue;
        await knownAccountBlocks(sql, range, plan.batchSize, (block, offsets) => {
          for (const offset of offsets) known.add(first + block, offset);
        });
      }
    },
    recordFailed: (date, batch, reason, attempts) => recordFailedBatch(sql, date, { platform: batch.platform, start: batch.start, end: batch.end, reason, attempts }),
    recordChecked: (date, batch, checkedBy) => markChecked(sql, date, batch.platform, batch.start, checkedBy),
    addErrors: (date, counts) => addRunErrors(sql, date, counts),
    summary: (date, players) => runSummary(sql, date, players),
    finish: (date, result) => finishRun(sql, date, result),
  };
}
