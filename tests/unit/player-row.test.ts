/**
 * The code derived from schema/player.ts' PLAYER_FIELDS: the wire check must
 * accept exactly what the valibot tuple it replaced accepted, refuse what it
 * refused with the same path and the same text (prefixed by the field's
 * name); the storability check, the chunk builder's copy and the dedupe must
 * follow the table.
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { PLAYER_FIELDS, type PlayerRow } from "@wotc/schema/player";
import { rowAt } from "@wotc/schema/player-code";
import { ClientMessage } from "@wotc/schema/wire/messages";
import { ChunkBuilder } from "../../server/src/crawl/chunk-builder";
import { unpackColumns } from "../../server/src/db/column-transfer";
import { rowsToColumns } from "@wotc/schema/wire/result-frame";
import { checkResult } from "../../server/src/crawl/result-check";
import { uniqueSortedPlayers } from "../../server/src/db/queries/ingest-chunk";

/** The wire schema of result rows before PLAYER_FIELDS, kept here as the reference. */
const accountId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 40));
const counter = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const unixSeconds = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 32));
const OldPlayerRow = v.tuple([
  accountId,
  v.pipe(v.string(), v.maxLength(64)),
  unixSeconds,
  unixSeconds,
  unixSeconds,
  counter,
  counter,
  counter,
  counter,
  counter,
  counter,
]);
const OldResult = v.strictObject({
  type: v.literal("result"),
  id: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 31)),
  rows: v.pipe(v.array(OldPlayerRow), v.maxLength(100)),
});

const PROVENANCE = { answeredBy: "alice", checkState: null, checkedBy: null, answerHash: null };

const GOOD: PlayerRow = [1_073_745_210, "SampleTanker-p", 1_420_070_400, 1_600_000_000, 1_600_000_400, 1234, 900, 640, 1_500_000, 1100, 700];

/** Values that break some check of some kind, or sit right on a bound. */
const PROBES: unknown[] = [
  0, 1, -1, 1.5, -0.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 40 + 1, Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2, 1e300, Infinity, -Infinity, NaN, "12", "", "x".repeat(64), "x".repeat(65), "a\u0000b",
  null, undefined, true, {}, [], [1], 12n,
];

function cases(): { name: string; rows: unknown[] }[] {
  const list: { name: string; rows: unknown[] }[] = [
    { name: "no rows", rows: [] },
    { name: "one good row", rows: [GOOD] },
    { name: "100 good rows", rows: Array.from({ length: 100 }, (_, i) => [GOOD[0] + i, ...GOOD.slice(1)]) },
    { name: "101 good rows", rows: Array.from({ length: 101 }, (_, i) => [GOOD[0] + i, ...GOOD.slice(1)]) },
    { name: "a row with an extra value", rows: [[...GOOD, 5]] },
    { name: "a row one value short", rows: [GOOD.slice(0, 10)] },
    { name: "an empty row", rows: [[]] },
    { name: "a row that is an object", rows: [{ 0: GOOD[0] }] },
    { name: "a row that is a string", rows: ["row"] },
    { name: "a row that is null", rows: [null] },
    { name: "a bad row after a good one", rows: [GOOD, [...GOOD.slice(0, 5), -1, ...GOOD.slice(6)]] },
    { name: "two bad values in one row", rows: [[GOOD[0], 5, ...GOOD.slice(2, 7), "x", ...GOOD.slice(8)]] },
  ];
  for (let position = 0; position < GOOD.length; position++) {
    for (const probe of PROBES) {
      const row: unknown[] = [...GOOD];
      row[position] = probe;
      list.push({ name: `position ${position} = ${String(probe).slice(0, 20)}`, rows: [GOOD, row] });
    }
  }
  return list;
}

function firstIssue(result: v.SafeParseResult<v.GenericSchema>): { path: string | null; message: string } | undefined {
  if (result.success) return undefined;
  const issue = result.issues[0];
  return { path: v.getDotPath(issue), message: issue.message };
}

describe("the wire check generated from PLAYER_FIELDS", () => {
  test("accepts and refuses exactly what the valibot tuple did, at the same path with the same words plus the field", () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(300);
    for (const { name, rows } of all) {
      const message = { type: "result", id: 7, rows };
      const old = firstIssue(v.safeParse(OldResult, message));
      const now = firstIssue(v.safeParse(ClientMessage, message));
      if (old === undefined) {
        expect({ name, now }).toEqual({ name, now: undefined });
        continue;
      }
      expect({ name, path: now?.path }).toEqual({ name, path: old.path });
      const position = old.path?.match(/^rows\.\d+\.(\d+)$/)?.[1];
      const expected = position === undefined ? old.message : `${PLAYER_FIELDS[Number(position)]!.name}: ${old.message}`;
      expect({ name, message: now?.message }).toEqual({ name, message: expected });
    }
  });

  test("an accepted result keeps its rows as sent", () => {
    const parsed = v.parse(ClientMessage, { type: "result", id: 7, rows: [GOOD] });
    expect(parsed).toEqual({ type: "result", id: 7, rows: [GOOD] });
  });
});

describe("what PostgreSQL can store", () => {
  test("int4 counters over 2^31-1 and a NUL in the nickname are named; int8 damage is not limited", () => {
    // the server's check of a result (server/src/crawl/result-check.ts), one row at a time
    const unstorableField = (row: PlayerRow) => checkResult({ id: 1, platform: "xbox", start: row[0], end: row[0] + 1 }, rowsToColumns([row]))?.message.replace(/^batch 1 result, account \d+: /, "");
    expect(unstorableField(GOOD)).toBeUndefined();
    const over = (position: number) => GOOD.map((x, i) => (i === position ? 2 ** 31 : x)) as PlayerRow;
    expect(unstorableField(over(5))).toBe("battles 2147483648 is over 2147483647");
    expect(unstorableField(over(10))).toBe("dropped_capture_points 2147483648 is over 2147483647");
    expect(unstorableField(over(8))).toBeUndefined(); // damage_dealt is int8
    expect(unstorableField(GOOD.map((x, i) => (i === 1 ? "a\u0000b" : x)) as PlayerRow)).toBe("nickname contains a NUL character");
  });
});

describe("the chunk columns", () => {
  test("the builder copies each row position into its field's column, and the platform from the nickname", () => {
    const builder = new ChunkBuilder<string>("2026-11-27", 10);
    const xbox: PlayerRow = [GOOD[0] + 1, "Other-x", ...(GOOD.slice(2) as number[])] as PlayerRow;
    const unsuffixed: PlayerRow = [GOOD[0] + 2, "NoSuffix", ...(GOOD.slice(2) as number[])] as PlayerRow;
    builder.add({ id: 3, platform: "ps", start: GOOD[0], end: GOOD[0] + 100 }, rowsToColumns([GOOD, xbox, unsuffixed]), PROVENANCE, "meta");
    const taken = builder.take()!;
    const built = { ...taken, chunk: { ...taken.chunk, players: unpackColumns(taken.chunk.players) } };
    PLAYER_FIELDS.forEach((field, position) => {
      expect(built.chunk.players[field.name]).toEqual([GOOD, xbox, unsuffixed].map((row) => row[position]) as never);
    });
    expect(built.chunk.players.console).toEqual(["ps", "xbox", "ps"]);
    expect(built.chunk.batches).toEqual([{ platform: "ps", start: GOOD[0], end: GOOD[0] + 100, found: 3, maxAccountId: GOOD[0] + 2, ...PROVENANCE }]);
    expect(built.entries).toEqual([{ batchId: 3, meta: "meta" }]);
    // and back: each row as it was sent
    expect([0, 1, 2].map((i) => rowAt(built.chunk.players, i))).toEqual([GOOD, xbox, unsuffixed]);
  });

  test("batches answered out of order leave in account order, their entries with them, so the helper has nothing to sort", () => {
    const builder = new ChunkBuilder<string>("2026-11-27", 100);
    const at = (start: number): PlayerRow[] => [[start + 1, `p${start}-x`, 1, 2, 3, 4, 5, 6, 7, 8, 9]];
    for (const [id, start] of [[3, 5200], [1, 5000], [2, 5100]] as const) {
      builder.add({ id, platform: "xbox", start, end: start + 100 }, rowsToColumns(at(start)), PROVENANCE, `batch ${id}`);
    }
    const built = builder.take()!;
    const players = unpackColumns(built.chunk.players);
    expect(players.accountId).toEqual([5001, 5101, 5201]);
    expect(uniqueSortedPlayers(players)).toBe(players); // already in order: returned as it is
    expect(built.chunk.batches.map((b) => b.start)).toEqual([5000, 5100, 5200]);
    expect(built.entries).toEqual([1, 2, 3].map((id) => ({ batchId: id, meta: `batch ${id}` })));
  });

  test("dedupe/sort keeps every column of the last row per account, in account order", () => {
    const builder = new ChunkBuilder<null>("2026-11-27", 10);
    const later = (id: number, battles: number): PlayerRow => [id, `p${id}-x`, 1, 2, 3, battles, 5, 6, 7, 8, 9];
    builder.add({ id: 1, platform: "xbox", start: 5000, end: 5100 }, rowsToColumns([later(5002, 10), later(5001, 20)]), PROVENANCE, null);
    builder.add({ id: 2, platform: "xbox", start: 5000, end: 5100 }, rowsToColumns([later(5002, 30)]), PROVENANCE, null);
    const columns = uniqueSortedPlayers(unpackColumns(builder.take()!.chunk.players));
    expect(columns.accountId).toEqual([5001, 5002]);
    expect(columns.battles).toEqual([20, 30]);
    expect(columns.nickname).toEqual(["p5001-x", "p5002-x"]);
    expect(columns.console).toEqual(["xbox", "xbox"]);
    expect(Object.keys(columns).sort()).toEqual([...PLAYER_FIELDS.map((f) => f.name), "console"].sort());
  });
});
