/**
 * Where the page's figures come from. A static export (stats/page-export.ts)
 * puts data/data.js before the page's script, which sets
 * globalThis.WOTC_STATS: that is the only way in from file://, where
 * Chromium refuses fetch() of local files. Served by the tracker there is no
 * such global and the page asks the tracker's API.
 */
import type { AccountAgeRow, DailyStatsRow } from "../../stats/columns";

/** What data/data.js assigns (stats/static-export.ts writes it). */
interface Embedded {
  generated_at: string;
  last_date: string | null;
  daily: DailyStatsRow[];
  account_age: AccountAgeRow[];
}

export interface LoadedStats {
  daily: DailyStatsRow[];
  accountAge: AccountAgeRow[];
  /** Said in the page's header: where the figures are from. */
  origin: string;
  /** The same figures as files, for the page's download links. */
  downloads: { label: string; href: string }[];
}

const FILES = ["daily.csv", "daily.json", "account-age.csv", "account-age.json"];

export async function loadStats(): Promise<LoadedStats> {
  const embedded = (globalThis as { WOTC_STATS?: Embedded }).WOTC_STATS;
  if (embedded) {
    return {
      daily: embedded.daily,
      accountAge: embedded.account_age,
      origin: `exported ${embedded.generated_at.slice(0, 16).replace("T", " ")} UTC`,
      downloads: FILES.map((file) => ({ label: file, href: `data/${file}` })),
    };
  }
  if (location.protocol === "file:") {
    throw new Error("data/data.js did not load: it belongs next to this page (bun run server export --out DIR writes both)");
  }
  const [daily, accountAge] = await Promise.all([getJson<DailyStatsRow[]>("/api/stats/daily.json"), getJson<AccountAgeRow[]>("/api/stats/account-age.json")]);
  return { daily, accountAge, origin: "live from this tracker", downloads: FILES.map((file) => ({ label: file, href: `/api/stats/${file}` })) };
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    throw new Error(`GET ${path} answered ${response.status}${body?.error ? `: ${body.error}` : ""}`);
  }
  return (await response.json()) as T;
}
