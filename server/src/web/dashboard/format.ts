/** How figures read on the page: thousands separated, durations short, times in UTC like the logs. */
const numbers = new Intl.NumberFormat("en-US");

export const count = (value: number | null | undefined): string => (value === null || value === undefined ? "–" : numbers.format(Math.round(value)));

export function percent(part: number, whole: number): string {
  if (whole <= 0) return "–";
  const value = (100 * part) / whole;
  return `${value >= 99.95 && part < whole ? "99.9" : value.toFixed(1)}%`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** 14:02:31 (UTC), as the server's log lines say it. */
export const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** "3 s ago", "5 min ago", or the UTC time when it was long ago. */
export function ago(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "1 chunk", "3 chunks", "1 batch", "2 batches". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;
