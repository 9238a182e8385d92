/** A chunk's columns cross to a DB helper packed (server/src/db/column-transfer.ts) and must arrive unchanged. */
import { expect, test } from "bun:test";
import { emptyColumns, type PlayerRow } from "@wotc/schema/player";
import { appendRows } from "@wotc/schema/player-code";
import { packColumns, packResults, unpackColumns } from "../../server/src/db/column-transfer";
import { rowsToColumns } from "@wotc/schema/wire/result-frame";

const row = (id: number, nickname: string, battles: number): PlayerRow => [id, nickname, 1_400_000_000, 0, 1_700_000_000, battles, 3, 2, 2 ** 40, 1, 0];

test("numbers up to 2^53 and any nickname (empty, unicode, surrogate pairs, quotes) arrive unchanged after a clone, as postMessage makes one", () => {
  const columns = emptyColumns();
  appendRows(columns, [row(5_000, "Plain-x", 10), row(5_001, "", 0), row(5_002, "Ünïcødé 🎮 \"q\" \\", Number.MAX_SAFE_INTEGER)], "xbox");
  appendRows(columns, [row(1_073_740_000, "Sony-p", 7)], "ps");
  const packed = packColumns(columns);
  const arrived = structuredClone(packed);
  expect(unpackColumns(arrived)).toEqual(columns);
  // shared, not copied: the clone sees the sender's memory
  expect(arrived.numbers.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(arrived.texts.every((t) => t.lengths.buffer instanceof SharedArrayBuffer)).toBe(true);
  packed.numbers[0] = 42;
  expect(arrived.numbers[0]).toBe(42);
});

test("an empty chunk packs and unpacks", () => {
  expect(unpackColumns(packColumns(emptyColumns()))).toEqual(emptyColumns());
});

test("columns of unequal length are refused, naming the column", () => {
  const columns = emptyColumns();
  appendRows(columns, [row(5_000, "A-x", 1)], "xbox");
  columns.wins.push(9);
  expect(() => packColumns(columns)).toThrow("column wins has 2 values for 1 rows");
});

test("a chunk packed from results is posted by reference and stays whole for a helper that must write it again", () => {
  const xbox = rowsToColumns([row(5_000, "Plain-x", 10), row(5_001, "Ünïcødé", 3), row(5_002, "Sony-p", 1)]);
  const packed = packResults([{ result: xbox, platform: "xbox" }]);
  const first = structuredClone(packed);
  const again = structuredClone(packed); // the first helper died: the pool sends the same job once more
  const expected = emptyColumns();
  appendRows(expected, [row(5_000, "Plain-x", 10), row(5_001, "Ünïcødé", 3)], "xbox");
  appendRows(expected, [row(5_002, "Sony-p", 1)], "ps"); // its nickname says PlayStation
  expect(unpackColumns(first)).toEqual(expected);
  expect(unpackColumns(again)).toEqual(expected);
  expect(unpackColumns(packed)).toEqual(expected);
  expect(packed.numbers.buffer).toBeInstanceOf(SharedArrayBuffer);
});
