import type { ChunkBatch, IngestChunk, PlayerColumns } from "../messages.ts";
import type { Sql, Tx } from "../client.ts";
import { assertRunDate } from "./run-date.ts";
import { PLAYER_FIELDS } from "@wotc/schema/player";
import { numberArray, textArray } from "../array-literal.ts";

export interface IngestResult {
  /** Player rows written (after removing repeated account ids). */
  rows: number;
  /** Ledger rows added to run_batches; fewer than the chunk's batches when some were committed before. */
  batches: number;
  /** Players inserted or updated; unchanged players are not touched. */
  changed: number;
}

/** The chunk's run date has no total/diff partition: ensurePartitions(sql, runDate) was not called. */
export class MissingPartitionError extends Error {
  constructor(
    readonly runDate: string,
    cause: unknown,
  ) {
    super(`no total_battles/diff_battles partition for run date ${runDate}: call ensurePartitions(sql, "${runDate}") before ingesting`, {
      cause,
    });
    this.name = "MissingPartitionError";
  }
}

/**
 * Writes one chunk in one transaction: the players upsert (whose statement
 * triggers fill total_battles and diff_battles for the run date) and the
 * chunk's batches in the run_batches ledger, so a batch is committed exactly
 * when its rows are.
 *
 * Players are deduplicated (a repeated id in one statement is error 21000) and
 * sorted by account id (two connections locking rows in different orders
 * deadlock, 40P01). Unchanged players (same battles) are neither updated nor
 * written to total/diff.
 */
export async function ingestChunk(sql: Sql, chunk: IngestChunk): Promise<IngestResult> {
  assertRunDate(chunk.runDate);
  const p = uniqueSortedPlayers(chunk.players);
  const b = sortedBatchColumns(chunk.batches);
  try {
    return await sql.begin(async (tx) => {
      // the triggers read the date from here (wotc_run_date()); set_config(..., true) is SET LOCAL
      await tx`select set_config('wotc.run_date', ${chunk.runDate}, true)`;
      const upsert = p.accountId.length === 0 ? { count: 0 } : await upsertPlayers(tx, chunk.runDate, p, "battles changed");
      const ledger = b.start.length === 0 ? { count: 0 } : await writeLedger(tx, chunk.runDate, b);
      if (chunk.clearsFailed && b.start.length > 0) await clearFailed(tx, chunk.runDate, b);
      return { rows: p.accountId.length, batches: ledger.count, changed: upsert.count };
    });
  } catch (e) {
    const error = e as { code?: string; message?: string };
    if (error.code === "23514" && /no partition of relation/.test(error.message ?? "")) {
      throw new MissingPartitionError(chunk.runDate, e);
    }
    throw e;
  }
}

/** Every column a chunk carries: the row's fields and the platform. */
const COLUMN_NAMES = [...PLAYER_FIELDS.map((f) => f.name), "console"];
const TEXT_COLUMNS = new Set([...PLAYER_FIELDS.filter((f) => f.sql === "text").map((f) => f.name), "console"]);

/**
 * The columns as PostgreSQL array literals, text or numbers as PLAYER_FIELDS
 * says: one native join a column, where postgres.js's per-element serializer
 * cost 10 ms of a helper's CPU per 2,000-row chunk.
 */
function playerLiterals(c: PlayerColumns): Record<keyof PlayerColumns, string> {
  const literals: Record<string, string> = {};
  for (const name of COLUMN_NAMES) {
    const column = (c as Record<string, unknown[]>)[name]!;
    literals[name] = TEXT_COLUMNS.has(name) ? textArray(column as string[]) : numberArray(column as number[]);
  }
  return literals as Record<keyof PlayerColumns, string>;
}

/** The columns with each account id once (its last row wins) and in ascending order. */
export function uniqueSortedPlayers(c: PlayerColumns): PlayerColumns {
  const n = c.accountId.length;
  for (const name of COLUMN_NAMES) {
    const column = (c as Record<string, unknown[] | undefined>)[name];
    if (column?.length !== n) {
      throw new Error(`ingest chunk: players.${name} has ${column?.length ?? "no"} values but players.accountId has ${n}`);
    }
  }
  let ascending = true;
  for (let i = 1; i < n && ascending; i++) ascending = c.accountId[i - 1]! < c.accountId[i]!;
  if (ascending) return c;

  const lastIndex = new Map<number, number>();
  for (let i = 0; i < n; i++) lastIndex.set(c.accountId[i]!, i);
  const order = [...lastIndex.values()].sort((a, b) => c.accountId[a]! - c.accountId[b]!);
  // every column of schema/player.ts' PlayerColumns, whatever the table lists
  const picked: Record<string, unknown[]> = {};
  for (const name of COLUMN_NAMES) {
    const column = (c as Record<string, unknown[]>)[name]!;
    picked[name] = order.map((i) => column[i]);
  }
  return picked as PlayerColumns;
}

/**
 * The players upsert. `battles changed`: only rows whose battles differ are
 * updated (the ingest: unchanged players write nothing, and the triggers take
 * an update to mean "played"); `every field`: every row takes the answer's
 * values (a repair, with the triggers off).
 */
export function upsertPlayers(tx: Tx, runDate: string, players: PlayerColumns, update: "battles changed" | "every field") {
  const p = playerLiterals(players);
  return tx`
    insert into players as p (
      account_id, nickname, console, created_at, last_battle_time, updated_at,
      battles, spotted, wins, damage_dealt, frags, dropped_capture_points,
      last_api_pull, first_seen, last_changed
    )
    select
      u.account_id, u.nickname, u.console, to_timestamp(u.created_at), to_timestamp(nullif(u.last_battle_time, 0)), to_timestamp(u.updated_at),
      u.battles, u.spotted, u.wins, u.damage_dealt, u.frags, u.dropped_capture_points,
      now(), ${runDate}::date, ${runDate}::date
    from unnest(
      ${p.accountId}::int8[], ${p.nickname}::text[], ${p.console}::text[],
      ${p.createdAt}::int8[], ${p.lastBattleTime}::int8[], ${p.updatedAt}::int8[],
      ${p.battles}::int4[], ${p.spotted}::int4[], ${p.wins}::int4[],
      ${p.damageDealt}::int8[], ${p.frags}::int4[], ${p.droppedCapturePoints}::int4[]
    ) as u(
      account_id, nickname, console, created_at, last_battle_time, updated_at,
      battles, spotted, wins, damage_dealt, frags, dropped_capture_points
    )
    on conflict (account_id) do update set
      nickname = excluded.nickname,
      console = excluded.console,
      created_at = excluded.created_at,
      last_battle_time = excluded.last_battle_time,
      updated_at = excluded.updated_at,
      battles = excluded.battles,
      spotted = excluded.spotted,
      wins = excluded.wins,
      damage_dealt = excluded.damage_dealt,
      frags = excluded.frags,
      dropped_capture_points = excluded.dropped_capture_points,
      last_api_pull = excluded.last_api_pull,
      -- never backwards: the triggers take last_changed >= run date to mean "the day's rows exist"
      last_changed = greatest(p.last_changed, excluded.last_changed)
    ${update === "battles changed" ? tx`where p.battles is distinct from excluded.battles` : tx``}
  `;
}

type BatchColumns = ReturnType<typeof sortedBatchColumns>;

/** The batches' ledger rows with their provenance; a batch committed before keeps its row. */
export function writeLedger(tx: Tx, runDate: string, b: BatchColumns) {
  return ledgerInsert(tx, runDate, b, tx`on conflict do nothing`);
}

/** A repair's ledger rows: the batch's row (if any) takes the repair's figures and provenance. */
export function writeLedgerReplacing(tx: Tx, runDate: string, b: BatchColumns) {
  return ledgerInsert(
    tx,
    runDate,
    b,
    tx`on conflict (run_date, platform, start) do update set
      found = excluded.found, max_account_id = excluded.max_account_id, answered_by = excluded.answered_by,
      check_state = excluded.check_state, checked_by = excluded.checked_by, answer_hash = excluded.answer_hash,
      committed_at = now()`,
  );
}

function ledgerInsert(tx: Tx, runDate: string, b: BatchColumns, onConflict: ReturnType<Tx>) {
  return tx`
    insert into run_batches (run_date, platform, start, "end", found, max_account_id, answered_by, check_state, checked_by, answer_hash)
    select ${runDate}::date, u.*
    from unnest(${b.platform}::text[], ${b.start}::int8[], ${b.end}::int8[], ${b.found}::int4[], ${b.maxAccountId}::int8[],
                ${b.answeredBy}::text[], ${b.checkState}::text[], ${b.checkedBy}::text[], ${b.answerHash}::text[])
      as u(platform, start, "end", found, max_account_id, answered_by, check_state, checked_by, answer_hash)
    ${onConflict}
  `;
}

/** Batches that were set aside as failed and have now committed. */
export function clearFailed(tx: Tx, runDate: string, b: BatchColumns) {
  return tx`
    delete from failed_batches f
    using unnest(${b.platform}::text[], ${b.start}::int8[]) as u(platform, start)
    where f.run_date = ${runDate}::date and f.platform = u.platform and f.start = u.start
  `;
}

/** Sorted by (platform, start) for the same reason as the players: a fixed lock order. */
export function sortedBatchColumns(batches: ChunkBatch[]) {
  const sorted = [...batches].sort((a, b) => (a.platform === b.platform ? a.start - b.start : a.platform < b.platform ? -1 : 1));
  return {
    platform: sorted.map((x) => x.platform),
    start: sorted.map((x) => x.start),
    end: sorted.map((x) => x.end),
    found: sorted.map((x) => x.found),
    maxAccountId: sorted.map((x) => x.maxAccountId),
    answeredBy: sorted.map((x) => x.answeredBy ?? null),
    checkState: sorted.map((x) => x.checkState ?? null),
    checkedBy: sorted.map((x) => x.checkedBy ?? null),
    answerHash: sorted.map((x) => x.answerHash ?? null),
  };
}
