/**
 * What the reader chose (the date range, the day of the day charts), kept in
 * the address's #fragment so a link shows the same view, and read back
 * forgivingly: a date outside the data is moved to the nearest one.
 */
import type { Day } from "./days";

export interface ViewState {
  from: string;
  to: string;
  /** The day of the buckets and account-age charts. */
  day: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The days of the last `n` calendar days up to the latest date (n = null: all). */
export function lastDays(days: readonly Day[], n: number | null): Pick<ViewState, "from" | "to"> {
  const to = days.at(-1)!.date;
  if (n === null) return { from: days[0]!.date, to };
  const start = new Date(Date.parse(`${to}T00:00:00Z`) - (n - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from: start < days[0]!.date ? days[0]!.date : start, to };
}

/** The view the page opens with: the fragment's, else the last 90 days and the latest day. */
export function initialState(days: readonly Day[], fragment: string): ViewState {
  const params = new URLSearchParams(fragment.replace(/^#/, ""));
  const wanted = (name: string) => {
    const value = params.get(name);
    return value && DATE.test(value) ? value : undefined;
  };
  const fallback = lastDays(days, 90);
  let from = wanted("from") ?? fallback.from;
  let to = wanted("to") ?? fallback.to;
  if (from > to) [from, to] = [to, from];
  return { from, to, day: nearestDay(days, wanted("day") ?? days.at(-1)!.date) };
}

export function fragmentOf(state: ViewState): string {
  return `#${new URLSearchParams({ from: state.from, to: state.to, day: state.day })}`;
}

export function inRange(days: readonly Day[], state: Pick<ViewState, "from" | "to">): Day[] {
  return days.filter((d) => d.date >= state.from && d.date <= state.to);
}

/** The crawled date closest to `date`. */
export function nearestDay(days: readonly Day[], date: string): string {
  const t = Date.parse(`${date}T00:00:00Z`);
  let best = days.at(-1)!;
  for (const day of days) if (Math.abs(day.t * 1000 - t) < Math.abs(best.t * 1000 - t)) best = day;
  return best.date;
}
