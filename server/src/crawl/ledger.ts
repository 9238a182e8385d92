/** What a day's run needs from the run ledger in PostgreSQL. */
import type { Batch } from "@wotc/schema/wire/messages";
import type { RunRanges, WorkPlan } from "../plan/work-plan";
import type { PlayerFigures, RunSummary } from "../db/queries/run-summary";
import type { Platform } from "@wotc/schema/player";
import type { FailedBatch } from "../db/queries/failed-batches";
import type { KnownAccounts } from "../verify/known-accounts";
import type { Provenance } from "./provenance";

export type { RunSummary, PlatformSummary } from "../db/queries/run-summary";
export type { FailedBatch } from "../db/queries/failed-batches";

export interface RunLedger {
  ensurePartitions(date: string): Promise<void>;
  startOrResume(
    date: string,
    ranges: RunRanges,
  ): Promise<{ ranges: RunRanges; state: "running" | "complete"; resumed: boolean; errorCounts: Record<string, number> }>;
  /** The plan's ids of the batches already committed for the date. */
  committedBatchIds(date: string, plan: WorkPlan): Promise<number[]>;
  /** The plan's ids of batches set aside as failed for the date (a resumed or repeated run tries them again). */
  failedBatchIds(date: string, plan: WorkPlan): Promise<number[]>;
  failedBatches(date: string): Promise<FailedBatch[]>;
  /** Fills `into` with who answered each committed batch (a resumed run). */
  loadProvenance(date: string, plan: WorkPlan, into: Provenance): Promise<void>;
  /** Fills `known` with the accounts already in players within the plan. */
  loadKnownAccounts(plan: WorkPlan, known: KnownAccounts): Promise<void>;
  recordFailed(date: string, batch: Batch, reason: string, attempts: number): Promise<void>;
  recordChecked(date: string, batch: Batch, checkedBy: string[]): Promise<void>;
  addErrors(date: string, counts: Record<string, number>): Promise<void>;
  /** With `players` (from the day's statistics) only the ledger's figures are read. */
  summary(date: string, players?: Record<Platform, PlayerFigures>): Promise<RunSummary>;
  finish(date: string, result: { summary: RunSummary }): Promise<void>;
}
