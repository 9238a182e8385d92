/**
 * Which log lines are dashboard events. The hub, the crawl and the access
 * code already say in their log lines when a client connects or drops, when
 * the database fails or recovers; reading those lines here keeps those
 * modules free of a second reporting path. A line that matches nothing
 * (progress lines, start-up steps) is not an event.
 */
import type { EventKind } from "./event-ring";

/** First match wins; null: a line that looks like an event but is a start-up step. */
const RULES: readonly [RegExp, EventKind | null][] = [
  [/^(database ready|started the embedded PostgreSQL)/, null],
  // The progress line repeats the database's trouble every few seconds; the trouble itself is its own event.
  [/^\[\d{4}-\d{2}-\d{2}\] /, null],
  [/^control: /, "control"],
  [/(writes are back|works again)/, "recovery"],
  [/^client \S+ \([^)]*\) connected$/, "connect"],
  [/^client \S+ \([^)]*\) dropped: /, "refused"],
  [/^client \S+ \([^)]*\) disconnected: /, "disconnect"],
  [/^token of .* (revoked|replaced|suspended)/, "disconnect"],
  // Verification: a liar found out, a batch set aside, an answer held for a second opinion, a token earning trust.
  [/^SUSPENDED token /, "refused"],
  [/set aside as failed|answers .* are crawled again|asking another client/, "warning"],
  [/^token \S+ is trusted now/, "run"],
  [/^client \S+ could not crawl batch /, "warning"],
  [/database|DB helper|token check/i, "database"],
  [/leases expired/, "warning"],
  [/^(starting run|resuming run|run \S+ (complete|is already complete)|waiting: |drained|SIG\w+: stopping)/, "run"],
  [/\b(ERROR|WARNING)\b/, "warning"],
];

export function classifyLine(line: string): EventKind | undefined {
  for (const [pattern, kind] of RULES) if (pattern.test(line)) return kind ?? undefined;
  return undefined;
}
