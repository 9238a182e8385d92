/**
 * What the dashboard shows from the database: the last days' runs, the 30-day
 * leaderboard and when the last complete run finished. Read every few seconds
 * (and at once after a run), never per page view; while the database is away
 * the last answer stays and the error is shown next to it.
 */
import type { Sql } from "../db/client";
import { recentRuns, type RecentRun } from "../db/queries/recent-runs";
import { leaderboard, type LeaderboardRow } from "../db/queries/leaderboard";
import { lastCompleteRun } from "../db/queries/last-complete-run";
import { describeDbError } from "../db/db-errors";

export class RunHistory {
  runs: RecentRun[] = [];
  /** null while run_batches has no answered_by column. */
  leaderboard: LeaderboardRow[] | null = null;
  lastCompleteRunAt: number | null = null;
  error: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly everyMs = 15_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.refresh(), this.everyMs);
  }

  /** Stops reading; resolves once a read in progress is over (before the database closes). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
  }

  /** A run just completed: known at once, before the next read confirms it. */
  runCompleted(at: number): void {
    this.lastCompleteRunAt = Math.max(this.lastCompleteRunAt ?? 0, at);
  }

  /** Reads everything again; a call while a read is going waits for that one. */
  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<void> {
    try {
      [this.runs, this.leaderboard, this.lastCompleteRunAt] = await Promise.all([recentRuns(this.sql), leaderboard(this.sql), lastCompleteRun(this.sql)]);
      this.error = undefined;
    } catch (error) {
      this.error = `cannot read the run history: ${describeDbError(error)}`;
    }
  }
}
