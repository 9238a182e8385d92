/** `?from=` and `?to=` of the statistics endpoints: inclusive UTC dates, each optional. */
import { isUtcDate } from "../cli";
import type { DateRange } from "./source";

export type ParsedRange = { ok: true; range: DateRange } | { ok: false; error: string };

export function parseDateRange(query: { from?: string; to?: string }): ParsedRange {
  const range: DateRange = {};
  for (const key of ["from", "to"] as const) {
    const value = query[key];
    if (value === undefined) continue;
    if (!isUtcDate(value)) return { ok: false, error: `${key}=${value}: expected a date as YYYY-MM-DD (UTC), e.g. ${key}=2026-03-01` };
    range[key] = value;
  }
  if (range.from && range.to && range.from > range.to) {
    return { ok: false, error: `from=${range.from} is after to=${range.to}: the range is inclusive and must run forwards` };
  }
  return { ok: true, range };
}
