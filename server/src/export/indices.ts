/**
 * The three kinds of documents the sync writes, their index names for a run
 * date and their mappings (explicit, so an index created by the sync is typed
 * the same on every cluster and every day).
 */
import type { ServerConfig } from "@wotc/schema/config";

export type DocumentKind = "totalBattles" | "diffBattles" | "players";
export const DOCUMENT_KINDS: readonly DocumentKind[] = ["totalBattles", "diffBattles", "players"];

export type IndexNames = ServerConfig["elasticsearch"][number]["indices"];

/** `wotc-total_battles-{date}` for 2026-03-01 → `wotc-total_battles-2026-03-01`. */
export function indexName(template: string, date: string): string {
  const [yyyy, mm, dd] = date.split("-");
  return template.replaceAll("{date}", date).replaceAll("{yyyy}", yyyy!).replaceAll("{mm}", mm!).replaceAll("{dd}", dd!);
}

export function indexNamesFor(names: IndexNames, date: string): Record<DocumentKind, string> {
  return {
    totalBattles: indexName(names.totalBattles, date),
    diffBattles: indexName(names.diffBattles, date),
    players: indexName(names.players, date),
  };
}

const counters = {
  battles: { type: "integer" },
  spotted: { type: "integer" },
  wins: { type: "integer" },
  damage_dealt: { type: "long" },
  frags: { type: "integer" },
  dropped_capture_points: { type: "integer" },
} as const;

const battleRows = {
  dynamic: "strict",
  properties: { account_id: { type: "long" }, date: { type: "date", format: "yyyy-MM-dd" }, console: { type: "keyword" }, ...counters },
} as const;

export const MAPPINGS: Record<DocumentKind, Record<string, unknown>> = {
  totalBattles: battleRows,
  diffBattles: battleRows,
  players: {
    dynamic: "strict",
    properties: {
      account_id: { type: "long" },
      nickname: { type: "keyword" },
      console: { type: "keyword" },
      created_at: { type: "date" },
      last_battle_time: { type: "date" },
      updated_at: { type: "date" },
      ...counters,
      last_api_pull: { type: "date" },
      first_seen: { type: "date", format: "yyyy-MM-dd" },
      last_changed: { type: "date", format: "yyyy-MM-dd" },
    },
  },
};
