/** The summary printed when a run ends. */
import { PLATFORMS } from "@wotc/schema/player";
import type { FailedBatch, RunSummary } from "./ledger";
import type { VerificationReport } from "./run-day";
import { formatDuration } from "./progress";

const n = (value: number) => value.toLocaleString("en-US");
const percent = (part: number, whole: number) => (whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(1)}%`);

export interface SummaryExtras {
  /** `afterRun`: the lines of range growth and the Elasticsearch sync (after-run.ts describeAfterRun). */
  afterRun?: string[];
  verification?: VerificationReport;
  failed?: FailedBatch[];
}

export function formatSummary(date: string, summary: RunSummary, seconds: number, errors: Record<string, number>, extras: SummaryExtras = {}): string {
  const failed = extras.failed ?? [];
  const lines = [`run ${date} complete in ${formatDuration(seconds)}${failed.length > 0 ? ` with ${n(failed.length)} batches failed` : ""}`];
  for (const platform of PLATFORMS) {
    const p = summary[platform];
    lines.push(
      `  ${platform.padEnd(4)}  IDs queried ${n(p.idsQueried)}, players found ${n(p.playersFound)}, new players ${n(p.newPlayers)}, ` +
        `active players ${n(p.activePlayers)}, battles played ${n(p.battlesPlayed)}, highest id ${p.maxAccountId ?? "-"}`,
    );
  }
  const v = extras.verification;
  if (v) {
    lines.push(
      `  checked: ${n(v.checked)} of ${n(v.committed)} batches (${percent(v.checked, v.committed)}) confirmed by another client` +
        `${v.repaired > 0 ? ` (${n(v.repaired)} of them written again after a lie)` : ""}; ` +
        `${n(v.unchecked)} unchecked (no other client was there to check them), ${n(v.skipped)} from trusted tokens not drawn for a spot check, ` +
        `${n(v.operator)} from the operator's own tokens`,
    );
    const answers = v.answers.fresh + v.answers.checks;
    lines.push(`  second opinions: ${n(v.answers.checks)} of ${n(answers)} answers (${percent(v.answers.checks, answers)}) checked another client's answer`);
    for (const t of v.tokens) {
      const state = t.state === "suspended" ? `SUSPENDED (${t.suspendedReason})` : t.state;
      lines.push(
        `  token ${t.token}: ${state}; ${n(t.results)} results, ${n(t.checked)} checked, ${n(t.agreements)} agreed, ` +
          `${n(t.disagreements)} disagreements, ${n(t.refused)} refused`,
      );
    }
  }
  for (const f of failed.slice(0, 20)) lines.push(`  failed batch ${f.platform} [${f.start}, ${f.end}): ${f.reason} (${f.attempts} attempts; the next run tries it again)`);
  if (failed.length > 20) lines.push(`  … and ${n(failed.length - 20)} more failed batches (GET /api/status lists them)`);
  const errorText = Object.entries(errors)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name} ${n(count)}`)
    .join(", ");
  for (const line of extras.afterRun ?? []) lines.push(`  ${line}`);
  lines.push(`  errors: ${errorText || "none"}`);
  return lines.join("\n");
}
