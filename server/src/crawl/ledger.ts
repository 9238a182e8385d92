/** What a day's run needs from the run ledger in PostgreSQL. */
import type { Platform } from "@wotc/schema/player";
import type { RunRanges, WorkPlan } from "../plan/work-plan";

export interface PlatformSummary {
  /** IDs in the batches committed for this platform's range. */
  idsQueried: number;
  /** Accounts found in this platform's range. */
  playersFound: number;
  /** Players first seen today, by console (nickname suffix). */
  newPlayers: number;
  /** Players with a diff row today, by console. */
  activePlayers: number;
  /** Battles played today, by console. */
  battlesPlayed: number;
  /** Highest account id found in this platform's range today. */
  maxAccountId: number | null;
}

export type RunSummary = Record<Platform, PlatformSummary>;

export interface RunLedger {
  ensurePartitions(date: string): Promise<void>;
  startOrResume(date: string, ranges: RunRanges): Promise<{ ranges: RunRanges; state: "running" | "complete"; resumed: boolean }>;
  committedBatchIds(date: string, plan: WorkPlan): Promise<number[]>;
  summary(date: string): Promise<RunSummary>;
  finish(date: string, details: Record<string, unknown>): Promise<void>;
}
