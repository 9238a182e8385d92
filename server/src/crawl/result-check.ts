/**
 * The door checks of a result, before anything else looks at it: every row
 * inside the batch, each account once, and only values PostgreSQL can hold.
 * Refused here, a row costs its sender a strike; written, it would fail the
 * whole chunk and every other client's batches in it.
 */
import { PLAYER_FIELDS, SQL_MAX, WIRE_BOUNDS } from "@wotc/schema/player";
import type { Batch } from "@wotc/schema/wire/messages";
import { NUMBER_POSITIONS, type ResultColumns } from "@wotc/schema/wire/result-frame";

export type RefusalReason =
  | "not leased"
  | "already answered"
  | "outside the batch"
  | "repeated account"
  | "out of order"
  | "unstorable value"
  | "too fast"
  | "too many failures"
  | "no crawl";

export interface Refusal {
  reason: RefusalReason;
  message: string;
}

/**
 * Per numeric column of a result, the values it may carry: the wire bounds of
 * its kind, narrowed to what its SQL column stores (schema/player.ts).
 */
const NUMBER_CHECKS = NUMBER_POSITIONS.map((position) => {
  const field = PLAYER_FIELDS[position]!;
  const wire = WIRE_BOUNDS[field.kind as keyof typeof WIRE_BOUNDS];
  const stores = field.sql === "text" ? Infinity : SQL_MAX[field.sql];
  return { field, min: wire.min, wireMax: wire.max, max: Math.min(wire.max, stores) };
});

/**
 * The door checks of a result in columns (from a binary frame, or JSON rows
 * put in columns): accounts inside the batch, in strictly increasing order
 * (so none twice), every number an integer its column can hold, no NUL in a
 * nickname. Runs over typed arrays, a few nanoseconds a value.
 */
export function checkResult(batch: Batch, result: ResultColumns): Refusal | undefined {
  const { rows, numbers } = result;
  for (let r = 0; r < rows; r++) {
    const accountId = numbers[r]!;
    if (!(accountId >= batch.start && accountId < batch.end) || !Number.isInteger(accountId)) {
      return { reason: "outside the batch", message: `batch ${batch.id} result has account ${accountId} outside [${batch.start}, ${batch.end})` };
    }
    if (r > 0 && accountId <= numbers[r - 1]!) {
      return accountId === numbers[r - 1]
        ? { reason: "repeated account", message: `batch ${batch.id} result has account ${accountId} twice` }
        : { reason: "out of order", message: `batch ${batch.id} result has account ${accountId} after ${numbers[r - 1]}: rows must be in increasing account order` };
    }
  }
  for (let c = 1; c < NUMBER_CHECKS.length; c++) {
    const { field, min, max, wireMax } = NUMBER_CHECKS[c]!;
    const base = c * rows;
    for (let r = 0; r < rows; r++) {
      const value = numbers[base + r]!;
      if (value >= min && value <= max && Number.isInteger(value)) continue;
      const what = value >= min && value <= wireMax && Number.isInteger(value) ? `${field.column} ${value} is over ${max}` : `${field.name} ${value} is not an integer in ${min}..${wireMax}`;
      return { reason: "unstorable value", message: `batch ${batch.id} result, account ${numbers[r]}: ${what}` };
    }
  }
  const nul = result.nicknames.indexOf("\u0000");
  if (nul >= 0) {
    let at = 0;
    let r = 0;
    while (r < rows - 1 && at + result.nicknameLengths[r]! <= nul) at += result.nicknameLengths[r++]!;
    return { reason: "unstorable value", message: `batch ${batch.id} result, account ${numbers[r]}: nickname contains a NUL character` };
  }
  return undefined;
}

/** Client-chosen text made safe for one log line: control characters (newlines included) escaped, length bounded. */
export function printable(text: string, max = 300): string {
  const clipped = text.length > max ? `${text.slice(0, max)}…` : text;
  // eslint-disable-next-line no-control-regex
  return clipped.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
