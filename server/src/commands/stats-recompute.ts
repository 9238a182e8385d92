/** `bun run server stats recompute`: the daily statistics of every crawled date, computed again from the tables. */
import { describeDayStats, recomputeAll } from "../stats/compute";
import type { ToolDeps } from "./run";

export async function runStatsRecompute({ database, log }: ToolDeps): Promise<number> {
  const started = performance.now();
  const days = await recomputeAll(database.sql, (day) => log(describeDayStats(day)));
  const incomplete = days.filter((d) => !d.complete).length;
  log(
    days.length === 0
      ? "no crawled dates yet: nothing to compute"
      : `computed the statistics of ${days.length} crawled date${days.length > 1 ? "s" : ""} (${incomplete} incomplete) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}
