/**
 * A result as a binary frame (schema/wire/result-frame.ts): what a client
 * sends arrives as the same rows, a hostile or broken frame is refused with
 * what is wrong with it, and the server's check of a result in columns
 * refuses what the JSON path refused, in the same words.
 */
import { describe, expect, test } from "bun:test";
import { consoleOf, type PlayerRow } from "@wotc/schema/player";
import { columnsToRows, decodeResultFrame, encodeResultFrame, NUMBER_POSITIONS, rowsToColumns, type ResultColumns } from "@wotc/schema/wire/result-frame";
import { checkResult } from "../../server/src/crawl/result-check";
import { packResults, unpackColumns } from "../../server/src/db/column-transfer";

const row = (id: number, nickname = `p${id}-x`, battles = 10): PlayerRow => [id, nickname, 1_400_000_000, 0, 1_700_000_000, battles, 3, 2, 2 ** 40, 1, 0];
const BATCH = { id: 7, platform: "xbox" as const, start: 5_000, end: 5_100 };

function decoded(frame: Uint8Array): ResultColumns {
  const out = decodeResultFrame(frame);
  if ("error" in out) throw new Error(out.error);
  expect(out.id).toBe(BATCH.id);
  return out.result;
}

/** The frame's numeric column of PlayerRow position `position`, row `r`, at its byte offset. */
function setNumber(frame: Uint8Array, rows: number, position: number, r: number, value: number): void {
  const column = NUMBER_POSITIONS.indexOf(position);
  new DataView(frame.buffer, frame.byteOffset).setFloat64(8 + (column * rows + r) * 8, value, true);
}

describe("a result frame", () => {
  test("carries every field of every row unchanged, in account order, whatever order the client had", () => {
    const rows = [row(5_003, "Ünïcødé 🎮 \"q\" \\"), row(5_001, ""), row(5_002, "Sony-p", Number.MAX_SAFE_INTEGER), row(5_099, "x".repeat(64))];
    const result = decoded(encodeResultFrame(BATCH.id, rows));
    expect(columnsToRows(result)).toEqual([...rows].sort((a, b) => a[0] - b[0]));
  });

  test("an empty result is a header alone, and decodes to no rows", () => {
    const frame = encodeResultFrame(BATCH.id, []);
    expect(frame.byteLength).toBe(8);
    expect(decoded(frame).rows).toBe(0);
  });

  test("is read from anywhere in its buffer (a socket's buffer need not start at the frame)", () => {
    const frame = encodeResultFrame(BATCH.id, [row(5_000), row(5_001)]);
    const padded = new Uint8Array(frame.byteLength + 3);
    padded.set(frame, 3);
    expect(columnsToRows(decoded(padded.subarray(3)))).toEqual([row(5_000), row(5_001)]);
    // 8-aligned, the numbers are read in place (no copy per result); unaligned, they are copied out
    const aligned = new Uint8Array(frame.byteLength + 16);
    aligned.set(frame, 16);
    const inPlace = decoded(aligned.subarray(16));
    expect(columnsToRows(inPlace)).toEqual([row(5_000), row(5_001)]);
    expect(inPlace.numbers.buffer).toBe(aligned.buffer);
    expect(decoded(padded.subarray(3)).numbers.buffer).not.toBe(padded.buffer);
  });

  test("broken framing is refused, saying what is wrong", () => {
    const good = encodeResultFrame(BATCH.id, [row(5_000, "abc-x")]);
    const cases: [string, Uint8Array, RegExp][] = [
      ["three bytes", new Uint8Array([1, 2, 3]), /3 bytes is shorter than the 8-byte result header/],
      ["another kind", Uint8Array.from(good, (b, i) => (i === 0 ? 9 : b)), /kind 9 is not a result frame/],
      ["a later version", Uint8Array.from(good, (b, i) => (i === 1 ? 2 : b)), /version 2 is not supported/],
      ["cut short", good.slice(0, 40), /batch 7 is 40 bytes, too short for 1 rows/],
      ["more rows than a batch", Uint8Array.from(good, (b, i) => (i === 2 ? 101 : i === 3 ? 0 : b)), /says 101 rows; a batch has at most 100/],
      ["bad UTF-8", Uint8Array.from(good, (b, i) => (i === good.length - 1 ? 0xff : b)), /nicknames are not valid UTF-8/],
      ["lengths that do not add up", Uint8Array.from(good, (b, i) => (i === 8 + 80 ? 2 : b)), /add up to 2 characters but 5 follow/],
      ["a nickname over 64", Uint8Array.from(good, (b, i) => (i === 8 + 80 ? 65 : b)), /nickname of 65 characters is over 64/],
    ];
    for (const [what, frame, expected] of cases) {
      const out = decodeResultFrame(frame);
      expect({ what, error: "error" in out ? out.error : "decoded" }).toEqual({ what, error: expect.stringMatching(expected) });
    }
  });
});

describe("the check of a result in columns", () => {
  test("a well-formed result inside its batch passes", () => {
    expect(checkResult(BATCH, rowsToColumns([row(5_000), row(5_050), row(5_099)]))).toBeUndefined();
  });

  test("refuses what PostgreSQL or the batch cannot take, naming the account and the field", () => {
    const frame = (rows: PlayerRow[], edit?: (f: Uint8Array) => void) => {
      const f = encodeResultFrame(BATCH.id, rows);
      edit?.(f);
      return decoded(f);
    };
    const cases: [string, ResultColumns, RegExp][] = [
      ["outside", rowsToColumns([row(5_100)]), /account 5100 outside \[5000, 5100\)/],
      ["twice", rowsToColumns([row(5_001), row(5_001)]), /account 5001 twice/],
      ["out of order (a frame can say so)", frame([row(5_001), row(5_002)], (f) => (setNumber(f, 2, 0, 0, 5_003), setNumber(f, 2, 0, 1, 5_002))), /5002 after 5003: rows must be in increasing account order/],
      ["NaN battles", frame([row(5_001)], (f) => setNumber(f, 1, 5, 0, NaN)), /account 5001: battles NaN is not an integer in 0\.\.9007199254740991/],
      ["a fraction", frame([row(5_001)], (f) => setNumber(f, 1, 2, 0, 1.5)), /createdAt 1\.5 is not an integer/],
      ["negative", frame([row(5_001)], (f) => setNumber(f, 1, 7, 0, -1)), /wins -1 is not an integer/],
      ["over int4", rowsToColumns([row(5_001, "a-x", 2 ** 31)]), /account 5001: battles 2147483648 is over 2147483647/],
      ["a fractional account", frame([row(5_001)], (f) => setNumber(f, 1, 0, 0, 5_001.5)), /account 5001.5 outside/],
      ["NUL in the second nickname", rowsToColumns([row(5_001, "ab-x"), row(5_002, "a\u0000b")]), /account 5002: nickname contains a NUL character/],
    ];
    for (const [what, result, expected] of cases) {
      expect({ what, refused: checkResult(BATCH, result)?.message }).toEqual({ what, refused: expect.stringMatching(expected) });
    }
  });
});

describe("results packed into a chunk", () => {
  test("every row of every batch, in batch order, with the platform consoleOf gives", () => {
    const nicknames = ["Plain-x", "Sony-p", "", "x", "-", "ab-q", "-p", "-x", "trailing-"];
    const xbox = nicknames.map((name, i) => row(5_000 + i, name));
    const ps = [row(1_073_740_000, "Other-x"), row(1_073_740_001, "NoSuffix")];
    const packed = packResults([
      { result: rowsToColumns(xbox), platform: "xbox" },
      { result: rowsToColumns([]), platform: "ps" },
      { result: rowsToColumns(ps), platform: "ps" },
    ]);
    const columns = unpackColumns(packed);
    expect(columns.accountId).toEqual([...xbox, ...ps].map((r) => r[0]));
    expect(columns.nickname).toEqual([...xbox, ...ps].map((r) => r[1]));
    expect(columns.battles).toEqual([...xbox, ...ps].map((r) => r[5]));
    expect(columns.console).toEqual([...xbox.map((r) => consoleOf(r[1], "xbox")), ...ps.map((r) => consoleOf(r[1], "ps"))]);
  });
});
