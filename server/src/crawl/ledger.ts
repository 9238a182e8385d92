/** What a day's run needs from the run ledger in PostgreSQL. */
import type { RunRanges, WorkPlan } from "../plan/work-plan";
import type { RunSummary } from "../db/queries/run-summary";

export type { RunSummary, PlatformSummary } from "../db/queries/run-summary";

export interface RunLedger {
  ensurePartitions(date: string): Promise<void>;
  startOrResume(date: string, ranges: RunRanges): Promise<{ ranges: RunRanges; state: "running" | "complete"; resumed: boolean }>;
  /** The plan's ids of the batches already committed for the date. */
  committedBatchIds(date: string, plan: WorkPlan): Promise<number[]>;
  summary(date: string): Promise<RunSummary>;
  finish(date: string, result: { errors: number; summary: RunSummary }): Promise<void>;
}
