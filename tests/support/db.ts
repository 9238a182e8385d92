/**
 * A database of its own for each test suite, cloned from the template the
 * preload migrated (CREATE DATABASE ... TEMPLATE: tens of milliseconds instead
 * of running the migrations again).
 */
import postgres from "postgres";
import { openClient } from "../../server/src/db/client.ts";
import { emptyColumns, type ChunkBatch, type IngestChunk } from "../../server/src/db/messages.ts";

export interface TestDatabase {
  name: string;
  url: string;
  sql: postgres.Sql;
  /** Closes sql and drops the database and the roles named after it (`<name>_writer`, ...); kept when WOTC_TEST_KEEP_DB=1. */
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.WOTC_TEST_PG_URL;
  const template = process.env.WOTC_TEST_PG_TEMPLATE;
  if (!adminUrl || !template) {
    throw new Error("no test PostgreSQL: run the tests with `bun test` from the repository root (bunfig.toml preloads tests/setup/preload.ts)");
  }
  const name = `wotc_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = openClient(adminUrl, { max: 1 });
  try {
    await admin.unsafe(options.migrated === false ? `create database ${name}` : `create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(adminUrl, name);
  const sql = openClient(url, { max: 4 });
  return {
    name,
    url,
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 });
      if (process.env.WOTC_TEST_KEEP_DB === "1") {
        console.error(`WOTC_TEST_KEEP_DB: kept database ${url}`);
        return;
      }
      const admin = openClient(adminUrl, { max: 1 });
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        // Roles are cluster-wide: the server's writer and readers, and readers a test made, go with the database.
        for (const { rolname } of await admin`select rolname from pg_roles where rolname like ${`${name}\\_%`} order by rolname desc`) {
          await admin.unsafe(`drop role if exists "${rolname}"`);
        }
      } finally {
        await admin.end();
      }
    },
  };
}

/** The same server URL with another database name. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A player as tests write it: only the fields a test cares about, the rest defaulted. */
export interface TestPlayer {
  id: number;
  nickname?: string;
  console?: "xbox" | "ps";
  battles?: number;
  spotted?: number;
  wins?: number;
  damage?: number;
  frags?: number;
  capture?: number;
  lastBattleTime?: number;
}

/** An IngestChunk (server/src/db/messages.ts) for these players and batches. */
export function testChunk(runDate: string, players: TestPlayer[], batches: ChunkBatch[] = []): IngestChunk {
  const c = emptyColumns();
  for (const p of players) {
    c.accountId.push(p.id);
    c.nickname.push(p.nickname ?? `player${p.id}`);
    c.console.push(p.console ?? "xbox");
    c.createdAt.push(1_400_000_000);
    c.lastBattleTime.push(p.lastBattleTime ?? 1_700_000_000);
    c.updatedAt.push(1_700_000_100);
    c.battles.push(p.battles ?? 10);
    c.spotted.push(p.spotted ?? 5);
    c.wins.push(p.wins ?? 4);
    c.damageDealt.push(p.damage ?? 12_345);
    c.frags.push(p.frags ?? 7);
    c.droppedCapturePoints.push(p.capture ?? 3);
  }
  return { runDate, batches, players: c };
}
