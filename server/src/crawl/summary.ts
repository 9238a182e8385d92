/** The summary printed when a run ends. */
import { PLATFORMS } from "@wotc/schema/player";
import type { RunSummary } from "./ledger";
import { formatDuration } from "./progress";

const n = (value: number) => value.toLocaleString("en-US");

/** `afterRun`: the lines of range growth and the Elasticsearch sync (after-run.ts describeAfterRun). */
export function formatSummary(
  date: string,
  summary: RunSummary,
  seconds: number,
  errors: Record<string, number>,
  afterRun: string[] = [],
): string {
  const lines = [`run ${date} complete in ${formatDuration(seconds)}`];
  for (const platform of PLATFORMS) {
    const p = summary[platform];
    lines.push(
      `  ${platform.padEnd(4)}  IDs queried ${n(p.idsQueried)}, players found ${n(p.playersFound)}, new players ${n(p.newPlayers)}, ` +
        `active players ${n(p.activePlayers)}, battles played ${n(p.battlesPlayed)}, highest id ${p.maxAccountId ?? "-"}`,
    );
  }
  const errorText = Object.entries(errors)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name} ${n(count)}`)
    .join(", ");
  for (const line of afterRun) lines.push(`  ${line}`);
  lines.push(`  errors: ${errorText || "none"}`);
  return lines.join("\n");
}
