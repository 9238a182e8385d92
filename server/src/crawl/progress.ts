/** The operator's progress line, printed every few seconds while a crawl runs. */
import type { Crawl } from "./crawl";
import type { ClientHub } from "../ws/hub";

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

export function progressLine(crawl: Crawl, hub: ClientHub): string {
  const status = crawl.status();
  const { done, total, leased, failed } = status.batches;
  const percent = total === 0 ? 100 : (100 * (done + failed)) / total;
  let retries = 0;
  let rateLimited = 0;
  for (const session of hub.all()) {
    retries += session.stats?.retries ?? 0;
    rateLimited += session.stats?.rateLimited ?? 0;
  }
  const errors = hub.counters.invalidMessages + Object.values(status.errors).reduce((sum, n) => sum + n, 0);
  const parts = [
    `[${crawl.date}] ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} batches (${percent.toFixed(1)}%)`,
    `${status.idsPerSecond.toLocaleString("en-US")} IDs/s`,
    `ETA ${status.etaSeconds === null ? "?" : formatDuration(status.etaSeconds)}`,
    `${hub.size} clients`,
    `${leased} leased`,
  ];
  if (status.verification.enabled) parts.push(`checked ${(100 * status.verification.checkedShare).toFixed(0)}%${status.verification.openChecks > 0 ? ` (${status.verification.openChecks} waiting)` : ""}`);
  if (failed > 0) parts.push(`${failed} failed`);
  parts.push(`retries ${retries} (rate-limited ${rateLimited})`, `errors ${errors}`);
  if (status.paused) parts.push(`PAUSED: ${status.paused}`);
  if (status.dbTrouble) parts.push(`DATABASE ${status.dbTrouble.kind === "blocking" ? "CANNOT WRITE" : "UNAVAILABLE"}: ${status.dbTrouble.name} (${status.dbTrouble.hint})`);
  return parts.join(" | ");
}
