/**
 * A chunk's player columns packed for postMessage to a DB helper. Cloned as
 * they are (twelve arrays of ~2,000 values), one chunk cost the main thread
 * 2.7 ms of postMessage, 0.66 s per million IDs in bench e2e, more than the
 * JSON.parse of every result message. Packed, the numbers travel as one
 * transferred Float64Array (moved, not copied) and the strings of each text
 * column as one string with their lengths, which clones as a single copy.
 *
 * Every numeric field fits a float64 exactly (schema/player.ts bounds them to
 * 2^53), and lengths rather than a separator keep any string intact.
 */
import { PLAYER_FIELDS, type Platform, type PlayerColumns } from "@wotc/schema/player";
import type { ResultColumns } from "@wotc/schema/wire/result-frame";

type Column = keyof PlayerColumns;

const TEXT_COLUMNS: readonly Column[] = [...PLAYER_FIELDS.filter((f) => f.kind === "name").map((f) => f.name as Column), "console"];
const NUMBER_COLUMNS: readonly Column[] = PLAYER_FIELDS.filter((f) => f.kind !== "name").map((f) => f.name as Column);

export interface PackedColumns {
  rows: number;
  /** NUMBER_COLUMNS one after the other, `rows` values each. */
  numbers: Float64Array;
  /** Per text column: its strings joined, and each string's length. */
  texts: { joined: string; lengths: Uint32Array }[];
}

export function packColumns(columns: PlayerColumns): PackedColumns {
  const rows = columns.accountId.length;
  const numbers = new Float64Array(rows * NUMBER_COLUMNS.length);
  NUMBER_COLUMNS.forEach((name, c) => {
    const values = columns[name] as number[];
    if (values.length !== rows) throw new Error(`column ${name} has ${values.length} values for ${rows} rows`);
    numbers.set(values, c * rows);
  });
  const texts = TEXT_COLUMNS.map((name) => {
    const values = columns[name] as string[];
    if (values.length !== rows) throw new Error(`column ${name} has ${values.length} values for ${rows} rows`);
    const lengths = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) lengths[i] = values[i]!.length;
    return { joined: values.join(""), lengths };
  });
  return { rows, numbers, texts };
}

/**
 * Results in columns (each batch's, as checked) packed into one chunk: each
 * numeric column copied into place, the nicknames joined as
 * they came. The platform of each row comes from its nickname, else the
 * crawled batch's (consoleOf).
 */
export function packResults(parts: readonly { result: ResultColumns; platform: Platform }[]): PackedColumns {
  let rows = 0;
  for (const { result } of parts) rows += result.rows;
  const numbers = new Float64Array(rows * NUMBER_COLUMNS.length);
  const nicknameLengths = new Uint32Array(rows);
  const consoleLengths = new Uint32Array(rows);
  const nicknames = new Array<string>(parts.length);
  const consoles = new Array<string>(rows);
  let at = 0;
  for (let p = 0; p < parts.length; p++) {
    const { result, platform } = parts[p]!;
    const n = result.rows;
    const from = result.numbers;
    // plain loops: a subarray + set per column and batch cost more than the ~60 values it copies
    for (let c = 0; c < NUMBER_COLUMNS.length; c++) {
      const to = c * rows + at;
      const source = c * n;
      for (let r = 0; r < n; r++) numbers[to + r] = from[source + r]!;
    }
    nicknames[p] = result.nicknames;
    let end = 0;
    for (let r = 0; r < n; r++) {
      const length = result.nicknameLengths[r]!;
      nicknameLengths[at + r] = length;
      end += length;
      const platformOf = consoleAt(result.nicknames, end, length, platform);
      consoles[at + r] = platformOf;
      consoleLengths[at + r] = platformOf.length;
    }
    at += n;
  }
  return {
    rows,
    numbers,
    texts: TEXT_COLUMNS.map((name) =>
      name === "console" ? { joined: consoles.join(""), lengths: consoleLengths } : { joined: nicknames.join(""), lengths: nicknameLengths },
    ),
  };
}

/**
 * consoleOf for the nickname of `length` characters that ends at `end` in the
 * joined nicknames, read from its last two characters instead of a slice
 * (tests/unit/column-transfer.test.ts holds it to consoleOf).
 */
function consoleAt(joined: string, end: number, length: number, crawled: Platform): Platform {
  if (length < 2 || joined.charCodeAt(end - 2) !== 45 /* - */) return crawled;
  const last = joined.charCodeAt(end - 1);
  return last === 120 /* x */ ? "xbox" : last === 112 /* p */ ? "ps" : crawled;
}

/**
 * The values as int32s, or undefined when one does not fit. Its own function, so that its array's
 * allocation site only ever sees int32s: JSC decides an array's storage by its site, and one fill
 * loop for both kinds left every column double once the JIT had warmed up.
 */
function int32Column(numbers: Float64Array, at: number, rows: number): number[] | undefined {
  for (let i = at; i < at + rows; i++) if ((numbers[i]! | 0) !== numbers[i]) return undefined;
  const values = new Array<number>(rows);
  for (let i = 0; i < rows; i++) values[i] = numbers[at + i]! | 0;
  return values;
}

function doubleColumn(numbers: Float64Array, at: number, rows: number): number[] {
  const values = new Array<number>(rows);
  for (let i = 0; i < rows; i++) values[i] = numbers[at + i]!;
  return values;
}

/** A copy whose buffers can be moved while the original stays usable (typed arrays copied natively; strings are immutable). */
export function copyPacked(packed: PackedColumns): PackedColumns {
  return { rows: packed.rows, numbers: packed.numbers.slice(), texts: packed.texts.map((t) => ({ joined: t.joined, lengths: t.lengths.slice() })) };
}

/** The buffers postMessage can move instead of copying. */
export function transferablesOf(packed: PackedColumns): ArrayBuffer[] {
  return [packed.numbers.buffer as ArrayBuffer, ...packed.texts.map((t) => t.lengths.buffer as ArrayBuffer)];
}

export function unpackColumns(packed: PackedColumns): PlayerColumns {
  const { rows, numbers } = packed;
  const columns: Record<string, unknown[]> = {};
  NUMBER_COLUMNS.forEach((name, c) => {
    // Indexed copies: Array.from goes through the typed array's iterator (0.5-0.7 ms of a helper's CPU per
    // 2,000-row chunk against 0.05-0.1). A column whose values all fit an int32 is stored as int32s: one of
    // doubles joins into its SQL array literal 3x slower (95-131 µs against 28-36 for 2,000 values), and
    // JSON.parse gives the lean loop int32s
    columns[name] = int32Column(numbers, c * rows, rows) ?? doubleColumn(numbers, c * rows, rows);
  });
  TEXT_COLUMNS.forEach((name, t) => {
    const { joined, lengths } = packed.texts[t]!;
    const values = new Array<string>(rows);
    let at = 0;
    for (let i = 0; i < rows; i++) {
      values[i] = joined.slice(at, at + lengths[i]!);
      at += lengths[i]!;
    }
    columns[name] = values;
  });
  return columns as PlayerColumns;
}
