/** Every table, for `drizzle(sql, { schema })` and typed queries. */
export { clientTokens } from "./client-tokens.ts";
export { diffBattles } from "./diff-battles.ts";
export { failedBatches } from "./failed-batches.ts";
export { players } from "./players.ts";
export { runBatches } from "./run-batches.ts";
export { RUN_STATES, runs, type RunRanges, type RunState } from "./runs.ts";
export { totalBattles } from "./total-battles.ts";
export { dailyStats, dailyStatsByCreatedYear, STATS_PLATFORMS, type StatsPlatform } from "./daily-stats.ts";
