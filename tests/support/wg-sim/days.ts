/** UTC calendar days as ISO strings (`YYYY-MM-DD`), the unit the crawler and the world both count in. */

const DAY_SECONDS = 86_400;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Unix seconds at 00:00 UTC of `day`; throws on anything that is not a real calendar day. */
export function dayStartSeconds(day: string): number {
  const m = ISO_DAY.exec(day);
  if (!m) throw new RangeError(`day ${JSON.stringify(day)}: expected YYYY-MM-DD`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms).toISOString().slice(0, 10);
  if (back !== day) throw new RangeError(`day ${JSON.stringify(day)}: not a calendar day`);
  return ms / 1000;
}

export function dayFromSeconds(seconds: number): string {
  return new Date(Math.floor(seconds / DAY_SECONDS) * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return dayFromSeconds(dayStartSeconds(day) + n * DAY_SECONDS);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((dayStartSeconds(to) - dayStartSeconds(from)) / DAY_SECONDS);
}

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export { DAY_SECONDS };
