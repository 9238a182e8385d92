/**
 * A day written the way the crawl writes it, without the network: the run
 * row, the partitions, and one chunk through the production ingest (players
 * upsert, triggers, ledger), for tests that need a few accounts with chosen
 * creation times and battles.
 */
import { emptyColumns, type IngestChunk } from "../../server/src/db/messages.ts";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { ingestChunk } from "../../server/src/db/queries/ingest-chunk.ts";
import { startOrResumeRun } from "../../server/src/db/queries/start-or-resume-run.ts";
import type { TestDatabase } from "./db.ts";

/** xbox [100, 300) in two batches, ps [1000, 1100) in one. */
export const TINY_RANGES = { xbox: { min: 100, max: 300 }, ps: { min: 1000, max: 1100 } };
export const TINY_XBOX_BATCHES = [
  { platform: "xbox" as const, start: 100, end: 200 },
  { platform: "xbox" as const, start: 200, end: 300 },
];
export const TINY_PS_BATCH = { platform: "ps" as const, start: 1000, end: 1100 };

export interface TinyAccount {
  /** 1000 and above: PlayStation. */
  id: number;
  /** ISO time the account was created. */
  created: string;
  battles: number;
}

type TinyBatch = { platform: "xbox" | "ps"; start: number; end: number };

const seconds = (iso: string) => Date.parse(iso) / 1000;

export function tinyChunk(date: string, accounts: TinyAccount[], batches: TinyBatch[]): IngestChunk {
  const c = emptyColumns();
  for (const a of accounts) {
    c.accountId.push(a.id);
    c.nickname.push(`player${a.id}${a.id >= 1000 ? "-p" : "-x"}`);
    c.console.push(a.id >= 1000 ? "ps" : "xbox");
    c.createdAt.push(seconds(a.created));
    c.lastBattleTime.push(seconds(a.created) + 60);
    c.updatedAt.push(seconds(a.created) + 120);
    c.battles.push(a.battles);
    c.spotted.push(a.battles);
    c.wins.push(Math.floor(a.battles / 2));
    c.damageDealt.push(a.battles * 500);
    c.frags.push(a.battles);
    c.droppedCapturePoints.push(0);
  }
  const found = (b: TinyBatch) => accounts.filter((a) => a.id >= b.start && a.id < b.end).length;
  return { runDate: date, players: c, batches: batches.map((b) => ({ ...b, found: found(b), maxAccountId: null })) };
}

/** The run of `date` over TINY_RANGES: the accounts crawled, in the listed batches (by default all three). */
export async function ingestTinyDay(
  db: TestDatabase,
  date: string,
  accounts: TinyAccount[],
  batches: TinyBatch[] = [...TINY_XBOX_BATCHES, TINY_PS_BATCH],
): Promise<void> {
  await ensurePartitions(db.sql, date);
  await startOrResumeRun(db.sql, date, TINY_RANGES);
  await ingestChunk(db.sql, tinyChunk(date, accounts, batches));
}
