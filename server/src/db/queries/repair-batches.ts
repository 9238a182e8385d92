import type { PlayerRow } from "@wotc/schema/player";
import type { Sql, Tx } from "../client.ts";
import type { PlayerColumns, RepairChunk } from "../messages.ts";
import { rowChange, CLOCK_SLACK_MS } from "../../verify/answer.ts";
import { assertRunDate } from "./run-date.ts";
import { sortedBatchColumns, uniqueSortedPlayers, upsertPlayers, writeLedgerReplacing, clearFailed } from "./ingest-chunk.ts";

export interface RepairResult {
  rows: number;
  /** Per batch of the chunk (in its order), when judged: why the stored rows were no honest view, or undefined. */
  judgements?: (string | undefined)[];
}

type Counters = [battles: number, spotted: number, wins: number, damageDealt: number, frags: number, droppedCapturePoints: number];

interface Stored {
  row: PlayerRow;
  newToday: boolean;
  /** The counters before today's change, when the account existed before today. */
  before: Counters | undefined;
  changedToday: boolean;
}

/**
 * Makes the database hold, for the chunk's ranges and run date, what it
 * would hold had the chunk's rows been the day's only answer for them: the
 * rows of a client found lying (or outvoted) are replaced, not added to.
 *
 * The triggers cannot do this (they add a repeat to the day's diff, and never
 * remove a row), so this runs with wotc.repair on, which makes them do
 * nothing, and writes the day's rows itself. What the day looked like before
 * today comes from the day's own rows: an account changed today has
 * before = total - diff; one not changed today has its players row; one first
 * seen today had nothing. Then, per account:
 *   answered, existed before:  players = answer; rows only if its battles differ from before
 *   answered, new today:       players = answer; total = answer; diff = answer when it has battles
 *   not answered, new today:   invented: the player and its day rows are deleted
 *   not answered, known:       its counters go back to before (WG no longer lists it)
 * players.last_changed is left as it is: it only tells the triggers that the
 * day's rows may exist, which stays true.
 */
export async function repairBatches(sql: Sql, job: RepairChunk): Promise<RepairResult> {
  assertRunDate(job.runDate);
  const d = job.runDate;
  const honest = uniqueSortedPlayers(job.players);
  const ledger = sortedBatchColumns(job.batches);
  return sql.begin(async (tx) => {
    await tx`select set_config('wotc.run_date', ${d}, true), set_config('wotc.repair', 'on', true)`;
    const stored = await readStored(tx, d, job);
    const judgements = job.judge ? judge(job, stored, honest) : undefined;

    const touched = new Set<number>([...stored.keys(), ...honest.accountId]);
    const invented: number[] = [];
    const reverted: { id: number; before: Counters }[] = [];
    for (const [id, s] of stored) {
      if (honestIndex(honest, id) !== -1) continue;
      if (s.newToday) invented.push(id);
      else if (s.changedToday && s.before) reverted.push({ id, before: s.before });
    }
    const totals = emptyDayRows();
    const diffs = emptyDayRows();
    for (let i = 0; i < honest.accountId.length; i++) {
      const id = honest.accountId[i]!;
      const now = countersAt(honest, i);
      const s = stored.get(id);
      const before = s && !s.newToday ? s.before : undefined;
      if (before === undefined) {
        pushDayRow(totals, id, honest.console[i]!, now);
        if (now[0] > 0) pushDayRow(diffs, id, honest.console[i]!, now);
      } else if (now[0] !== before[0]) {
        pushDayRow(totals, id, honest.console[i]!, now);
        pushDayRow(diffs, id, honest.console[i]!, now.map((v, k) => v - before[k]!) as Counters);
      }
    }

    const ids = [...touched];
    await tx`delete from total_battles where date = ${d}::date and account_id = any(${ids}::int8[])`;
    await tx`delete from diff_battles where date = ${d}::date and account_id = any(${ids}::int8[])`;
    if (invented.length > 0) await tx`delete from players where account_id = any(${invented}::int8[])`;
    if (reverted.length > 0) {
      const col = (k: number) => reverted.map((r) => r.before[k]!);
      await tx`
        update players p set battles = u.battles, spotted = u.spotted, wins = u.wins, damage_dealt = u.damage_dealt,
          frags = u.frags, dropped_capture_points = u.dropped_capture_points
        from unnest(${reverted.map((r) => r.id)}::int8[], ${col(0)}::int4[], ${col(1)}::int4[], ${col(2)}::int4[],
                    ${col(3)}::int8[], ${col(4)}::int4[], ${col(5)}::int4[])
          as u(account_id, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
        where p.account_id = u.account_id`;
    }
    // Every field from the answer, whatever changed; first_seen kept for known accounts.
    if (honest.accountId.length > 0) await upsertPlayers(tx, d, honest, "every field");
    await insertDayRows(tx, "total_battles", d, totals);
    await insertDayRows(tx, "diff_battles", d, diffs);
    await writeLedgerReplacing(tx, d, ledger);
    await clearFailed(tx, d, ledger);
    return { rows: honest.accountId.length, judgements };
  });
}

async function readStored(tx: Tx, d: string, job: RepairChunk): Promise<Map<number, Stored>> {
  const rows = await tx<
    {
      account_id: number; nickname: string; created_at: number; last_battle_time: number; updated_at: number;
      battles: number; spotted: number; wins: number; damage_dealt: number; frags: number; dropped_capture_points: number;
      new_today: boolean; t_battles: number | null; t_spotted: number | null; t_wins: number | null; t_damage: number | null; t_frags: number | null; t_capture: number | null;
      d_battles: number | null; d_spotted: number | null; d_wins: number | null; d_damage: number | null; d_frags: number | null; d_capture: number | null;
    }[]
  >`
    select p.account_id, p.nickname,
      extract(epoch from p.created_at)::int8 as created_at,
      coalesce(extract(epoch from p.last_battle_time)::int8, 0) as last_battle_time,
      extract(epoch from p.updated_at)::int8 as updated_at,
      p.battles, p.spotted, p.wins, p.damage_dealt, p.frags, p.dropped_capture_points,
      p.first_seen = ${d}::date as new_today,
      t.battles as t_battles, t.spotted as t_spotted, t.wins as t_wins, t.damage_dealt as t_damage, t.frags as t_frags, t.dropped_capture_points as t_capture,
      df.battles as d_battles, df.spotted as d_spotted, df.wins as d_wins, df.damage_dealt as d_damage, df.frags as d_frags, df.dropped_capture_points as d_capture
    from players p
    join unnest(${job.batches.map((b) => b.start)}::int8[], ${job.batches.map((b) => b.end)}::int8[]) as r(s, e)
      on p.account_id >= r.s and p.account_id < r.e
    left join total_battles t on t.account_id = p.account_id and t.date = ${d}::date
    left join diff_battles df on df.account_id = p.account_id and df.date = ${d}::date
    order by p.account_id
    for update of p`;
  const stored = new Map<number, Stored>();
  for (const r of rows) {
    const current: Counters = [r.battles, r.spotted, r.wins, r.damage_dealt, r.frags, r.dropped_capture_points];
    const changedToday = r.t_battles !== null;
    let before: Counters | undefined;
    if (!r.new_today) {
      before =
        r.t_battles !== null && r.d_battles !== null
          ? [r.t_battles - r.d_battles, r.t_spotted! - r.d_spotted!, r.t_wins! - r.d_wins!, r.t_damage! - r.d_damage!, r.t_frags! - r.d_frags!, r.t_capture! - r.d_capture!]
          : current;
    }
    stored.set(r.account_id, {
      row: [r.account_id, r.nickname, r.created_at, r.last_battle_time, r.updated_at, ...current],
      newToday: r.new_today,
      before,
      changedToday,
    });
  }
  return stored;
}

/**
 * Per batch: could the stored rows have been an honest answer given at
 * storedAt, seen from the honest rows now? Known accounts the honest answer
 * leaves out are not held against the stored answer (they existed before).
 */
function judge(job: RepairChunk, stored: Map<number, Stored>, honest: PlayerColumns): (string | undefined)[] {
  const now = Date.now();
  return job.batches.map((batch, index) => {
    const at = job.storedAt?.[index] ?? now;
    for (let i = 0; i < honest.accountId.length; i++) {
      const id = honest.accountId[i]!;
      if (id < batch.start || id >= batch.end) continue;
      const s = stored.get(id);
      const row = honestRow(honest, i);
      if (!s) {
        if (row[2] * 1000 < at - CLOCK_SLACK_MS) return `account ${id} was left out although it was created before that answer`;
        continue;
      }
      const why = rowChange(s.row, row, at, now);
      if (why) return why;
    }
    for (const [id, s] of stored) {
      if (id < batch.start || id >= batch.end || !s.newToday) continue;
      if (honestIndex(honest, id) === -1) return `account ${id} was in that answer, and no other client finds it`;
    }
    return undefined;
  });
}

function honestIndex(p: PlayerColumns, id: number): number {
  let lo = 0;
  let hi = p.accountId.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = p.accountId[mid]!;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function honestRow(p: PlayerColumns, i: number): PlayerRow {
  return [p.accountId[i]!, p.nickname[i]!, p.createdAt[i]!, p.lastBattleTime[i]!, p.updatedAt[i]!, ...countersAt(p, i)];
}

function countersAt(p: PlayerColumns, i: number): Counters {
  return [p.battles[i]!, p.spotted[i]!, p.wins[i]!, p.damageDealt[i]!, p.frags[i]!, p.droppedCapturePoints[i]!];
}

interface DayRows {
  id: number[];
  console: string[];
  c: number[][];
}

function emptyDayRows(): DayRows {
  return { id: [], console: [], c: [[], [], [], [], [], []] };
}

function pushDayRow(rows: DayRows, id: number, console: string, counters: Counters): void {
  rows.id.push(id);
  rows.console.push(console);
  counters.forEach((v, k) => rows.c[k]!.push(v));
}

async function insertDayRows(tx: Tx, table: "total_battles" | "diff_battles", d: string, rows: DayRows): Promise<void> {
  if (rows.id.length === 0) return;
  await tx`
    insert into ${tx(table)} (account_id, date, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)
    select u.account_id, ${d}::date, u.console, u.battles, u.spotted, u.wins, u.damage_dealt, u.frags, u.dropped_capture_points
    from unnest(${rows.id}::int8[], ${rows.console}::text[], ${rows.c[0]!}::int4[], ${rows.c[1]!}::int4[], ${rows.c[2]!}::int4[],
                ${rows.c[3]!}::int8[], ${rows.c[4]!}::int4[], ${rows.c[5]!}::int4[])
      as u(account_id, console, battles, spotted, wins, damage_dealt, frags, dropped_capture_points)`;
}
