/**
 * What the sync sends: one document per row, with an index and an id that
 * make a re-send idempotent (the same row always lands on the same document).
 */
import type { Sql } from "../db/client";
import { dayBattleRows, dayChangedPlayers } from "../db/queries/day-documents";
import type { DocumentKind } from "./indices";

export interface OutgoingDocument {
  kind: DocumentKind;
  index: string;
  id: string;
  source: Record<string, unknown>;
}

/** total/diff rows: one per account and day; players: one per account, replaced by its latest change. */
export function documentId(kind: DocumentKind, source: { account_id: number; date?: string }): string {
  return kind === "players" ? String(source.account_id) : `${source.account_id}-${source.date}`;
}

/** The run date's documents of one kind, streamed from a database cursor. */
export async function* dayDocuments(sql: Sql, kind: DocumentKind, index: string, runDate: string): AsyncGenerator<OutgoingDocument> {
  const pages =
    kind === "players"
      ? dayChangedPlayers(sql, runDate)
      : dayBattleRows(sql, kind === "totalBattles" ? "total_battles" : "diff_battles", runDate);
  for await (const rows of pages) {
    for (const row of rows) {
      yield { kind, index, id: documentId(kind, row), source: row as unknown as Record<string, unknown> };
    }
  }
}
