/**
 * The door checks of a result, before anything else looks at it: every row
 * inside the batch, each account once, and only values PostgreSQL can hold.
 * Refused here, a row costs its sender a strike; written, it would fail the
 * whole chunk and every other client's batches in it.
 */
import type { PlayerRow } from "@wotc/schema/player";
// what PostgreSQL would refuse in a row: int4 counters over 2^31-1, NUL in text (from schema/player.ts' SQL types)
import { unstorableField } from "@wotc/schema/player-code";
import type { Batch } from "@wotc/schema/wire/messages";

export type RefusalReason =
  | "not leased"
  | "already answered"
  | "outside the batch"
  | "repeated account"
  | "unstorable value"
  | "too fast"
  | "too many failures"
  | "no crawl";

export interface Refusal {
  reason: RefusalReason;
  message: string;
}

export function checkRows(batch: Batch, rows: readonly PlayerRow[]): Refusal | undefined {
  const seen = new Set<number>();
  for (const row of rows) {
    const accountId = row[0];
    if (accountId < batch.start || accountId >= batch.end) {
      return { reason: "outside the batch", message: `batch ${batch.id} result has account ${accountId} outside [${batch.start}, ${batch.end})` };
    }
    if (seen.has(accountId)) return { reason: "repeated account", message: `batch ${batch.id} result has account ${accountId} twice` };
    const unstorable = unstorableField(row);
    if (unstorable) return { reason: "unstorable value", message: `batch ${batch.id} result, account ${accountId}: ${unstorable}` };
    seen.add(accountId);
  }
  return undefined;
}

/** Client-chosen text made safe for one log line: control characters (newlines included) escaped, length bounded. */
export function printable(text: string, max = 300): string {
  const clipped = text.length > max ? `${text.slice(0, max)}…` : text;
  // eslint-disable-next-line no-control-regex
  return clipped.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
