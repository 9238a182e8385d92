/** A chunk's columns cross to a DB helper packed (server/src/db/column-transfer.ts) and must arrive unchanged. */
import { expect, test } from "bun:test";
import { emptyColumns, type PlayerRow } from "@wotc/schema/player";
import { appendRows } from "@wotc/schema/player-code";
import { copyPacked, packColumns, transferablesOf, unpackColumns } from "../../server/src/db/column-transfer";

const row = (id: number, nickname: string, battles: number): PlayerRow => [id, nickname, 1_400_000_000, 0, 1_700_000_000, battles, 3, 2, 2 ** 40, 1, 0];

test("numbers up to 2^53 and any nickname (empty, unicode, surrogate pairs, quotes) arrive unchanged after a transferring clone", () => {
  const columns = emptyColumns();
  appendRows(columns, [row(5_000, "Plain-x", 10), row(5_001, "", 0), row(5_002, "Ünïcødé 🎮 \"q\" \\", Number.MAX_SAFE_INTEGER)], "xbox");
  appendRows(columns, [row(1_073_740_000, "Sony-p", 7)], "ps");
  const packed = packColumns(columns);
  const moved = transferablesOf(packed);
  const arrived = structuredClone(packed, { transfer: moved });
  expect(unpackColumns(arrived)).toEqual(columns);
  // moved, not copied: the sender's buffers are detached
  expect(packed.numbers.byteLength).toBe(0);
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

test("a chunk packed by the crawl is sent as a moved copy: the pool's own stays whole for a helper that must write it again", () => {
  const columns = emptyColumns();
  appendRows(columns, [row(5_000, "Plain-x", 10), row(5_001, "Ünïcødé", 3)], "xbox");
  const kept = packColumns(columns);
  const sent = copyPacked(kept);
  const arrived = structuredClone(sent, { transfer: transferablesOf(sent) });
  expect(sent.numbers.byteLength).toBe(0);
  expect(unpackColumns(arrived)).toEqual(columns);
  expect(unpackColumns(kept)).toEqual(columns);
});
