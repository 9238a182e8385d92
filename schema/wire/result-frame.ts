/**
 * A batch's result as one binary WebSocket frame, the columns the server
 * writes instead of JSON rows. JSON.parse of result messages was a third of
 * the server's main thread in bench e2e, and turning the parsed rows into
 * chunk columns another eighth; this frame is read with one copy per numeric
 * column and one UTF-8 decode for all nicknames.
 *
 * Layout (little-endian; every client target is):
 *
 *   offset 0   u8   FRAME_KIND_RESULT
 *          1   u8   FRAME_VERSION
 *          2   u16  rows (0 .. BATCH_SIZE)
 *          4   u32  batch id
 *          8   f64  × rows, per numeric field of PLAYER_FIELDS in order (column-major)
 *          …   u8   × rows, each nickname's length in UTF-16 code units
 *          …   the nicknames, joined, as UTF-8 (to the end of the frame)
 *
 * Rows are in strictly increasing account order: the server needs them sorted
 * (answer hashes, the known-accounts check), and strict order is also the
 * check that no account appears twice. A client that speaks this frame says
 * so on the work socket (`results=frame-1`); the server answers `formats`.
 * JSON `result` messages stay valid for clients that do not.
 */
import { NICKNAME_MAX, PLAYER_FIELDS, type PlayerRow } from "../player";

export const FRAME_KIND_RESULT = 1;
export const FRAME_VERSION = 1;
/** The work socket's query value a client sends, and the `formats` message's answer. */
export const RESULT_FRAME_FORMAT = "frame-1";
const HEADER_BYTES = 8;
const MAX_ROWS = 100; // BATCH_SIZE (messages.ts imports this module's types; the number is repeated to avoid a cycle)

const NAME_POSITION = PLAYER_FIELDS.findIndex((f) => f.kind === "name");
/** The numeric fields' positions in a PlayerRow, in frame (and PLAYER_FIELDS) order. */
export const NUMBER_POSITIONS: readonly number[] = PLAYER_FIELDS.flatMap((f, i) => (f.kind === "name" ? [] : [i]));
const NUMBERS = NUMBER_POSITIONS.length;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("result frames are little-endian and this machine is not; no client target is big-endian");
}

/** A result in columns: what the server checks, hashes and writes. */
export interface ResultColumns {
  rows: number;
  /** NUMBER_POSITIONS' fields one after the other, `rows` values each. */
  numbers: Float64Array;
  /** Every nickname, joined, and each one's length (UTF-16 code units). */
  nicknames: string;
  nicknameLengths: Uint8Array;
}

/** The account ids of the result (the first numeric column). */
export function accountIds(result: ResultColumns): Float64Array {
  return result.numbers.subarray(0, result.rows);
}

/** Rows (well-formed, as PlayerRows are) into columns, sorted by account id as the frame requires. */
export function rowsToColumns(rows: readonly PlayerRow[]): ResultColumns {
  const sorted = isSorted(rows) ? rows : [...rows].sort((a, b) => a[0] - b[0]);
  const count = sorted.length;
  const numbers = new Float64Array(count * NUMBERS);
  const nicknameLengths = new Uint8Array(count);
  const names = new Array<string>(count);
  for (let r = 0; r < count; r++) {
    const row = sorted[r]!;
    for (let c = 0; c < NUMBERS; c++) numbers[c * count + r] = row[NUMBER_POSITIONS[c]!] as number;
    const name = row[NAME_POSITION] as string;
    names[r] = name;
    // A longer name is refused by the check; clamped here so the length still fits its byte
    nicknameLengths[r] = Math.min(name.length, 255);
  }
  return { rows: count, numbers, nicknames: names.join(""), nicknameLengths };
}

/** The columns back as PlayerRows (for checks of an answer against another's, and its hash). */
export function columnsToRows(result: ResultColumns): PlayerRow[] {
  const { rows, numbers, nicknames, nicknameLengths } = result;
  const out = new Array<PlayerRow>(rows);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const row = new Array<string | number>(PLAYER_FIELDS.length);
    for (let c = 0; c < NUMBERS; c++) row[NUMBER_POSITIONS[c]!] = numbers[c * rows + r]!;
    row[NAME_POSITION] = nicknames.slice(at, at + nicknameLengths[r]!);
    at += nicknameLengths[r]!;
    out[r] = row as PlayerRow;
  }
  return out;
}

/**
 * The frame of batch `id`'s rows (sorted here if they are not), written in
 * place: the numbers through a Float64Array over the frame itself, the
 * nicknames byte by byte while they are ASCII (nearly all are), through
 * TextEncoder from a name's first other character on. The frame is sized for
 * the worst case, 3 bytes a UTF-16 unit, and cut to what was written.
 */
export function encodeResultFrame(id: number, rows: readonly PlayerRow[]): Uint8Array {
  const sorted = isSorted(rows) ? rows : [...rows].sort((a, b) => a[0] - b[0]);
  const count = sorted.length;
  let characters = 0;
  for (let r = 0; r < count; r++) characters += (sorted[r]![NAME_POSITION] as string).length;
  const lengthsAt = HEADER_BYTES + count * NUMBERS * 8;
  const namesAt = lengthsAt + count;
  const frame = new Uint8Array(namesAt + characters * 3);
  frame[0] = FRAME_KIND_RESULT;
  frame[1] = FRAME_VERSION;
  frame[2] = count & 0xff;
  frame[3] = count >>> 8;
  new DataView(frame.buffer).setUint32(4, id, true);
  // the frame's buffer starts at 0, so offset 8 is 8-aligned
  const numbers = new Float64Array(frame.buffer, HEADER_BYTES, count * NUMBERS);
  let at = namesAt;
  for (let r = 0; r < count; r++) {
    const row = sorted[r]!;
    for (let c = 0; c < NUMBERS; c++) numbers[c * count + r] = row[NUMBER_POSITIONS[c]!] as number;
    const name = row[NAME_POSITION] as string;
    // A longer name is refused by the check; clamped here so the length still fits its byte
    frame[lengthsAt + r] = Math.min(name.length, 255);
    for (let i = 0; i < name.length; i++) {
      const code = name.charCodeAt(i);
      if (code < 0x80) {
        frame[at++] = code;
        continue;
      }
      at += encoder.encodeInto(name.slice(i), frame.subarray(at)).written;
      break;
    }
  }
  return frame.subarray(0, at);
}

const encoder = new TextEncoder();

export type DecodedFrame = { id: number; result: ResultColumns } | { error: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A result frame's batch id and columns, or why it is not one. Only the
 * framing is checked here (sizes, lengths, UTF-8); what the values may be is
 * the server's result check, as for JSON rows.
 */
export function decodeResultFrame(frame: Uint8Array): DecodedFrame {
  if (frame.byteLength < HEADER_BYTES) return { error: `binary frame of ${frame.byteLength} bytes is shorter than the ${HEADER_BYTES}-byte result header` };
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const kind = view.getUint8(0);
  if (kind !== FRAME_KIND_RESULT) return { error: `binary frame of kind ${kind} is not a result frame (kind ${FRAME_KIND_RESULT})` };
  const version = view.getUint8(1);
  if (version !== FRAME_VERSION) return { error: `result frame version ${version} is not supported (this server reads version ${FRAME_VERSION})` };
  const rows = view.getUint16(2, true);
  const id = view.getUint32(4, true);
  if (rows > MAX_ROWS) return { error: `result frame of batch ${id} says ${rows} rows; a batch has at most ${MAX_ROWS}` };
  const numberBytes = rows * NUMBERS * 8;
  const namesAt = HEADER_BYTES + numberBytes + rows;
  if (frame.byteLength < namesAt) return { error: `result frame of batch ${id} is ${frame.byteLength} bytes, too short for ${rows} rows (${namesAt} bytes before the nicknames)` };
  // Viewed in place when 8-aligned (a socket's message starts its own buffer), else copied: no 4-KB
  // allocation and copy per result on the server's main thread in the usual case
  const numbersAt = frame.byteOffset + HEADER_BYTES;
  const numbers =
    numbersAt % 8 === 0
      ? new Float64Array(frame.buffer, numbersAt, rows * NUMBERS)
      : new Float64Array(frame.buffer.slice(numbersAt, numbersAt + numberBytes));
  const nicknameLengths = frame.slice(HEADER_BYTES + numberBytes, namesAt);
  let nicknames: string;
  try {
    nicknames = utf8.decode(frame.subarray(namesAt));
  } catch {
    return { error: `result frame of batch ${id}: the nicknames are not valid UTF-8` };
  }
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const length = nicknameLengths[r]!;
    if (length > NICKNAME_MAX) return { error: `result frame of batch ${id}, row ${r}: nickname of ${length} characters is over ${NICKNAME_MAX}` };
    total += length;
  }
  if (total !== nicknames.length) return { error: `result frame of batch ${id}: nickname lengths add up to ${total} characters but ${nicknames.length} follow` };
  return { id, result: { rows, numbers, nicknames, nicknameLengths } };
}

function isSorted(rows: readonly PlayerRow[]): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i - 1]![0] > rows[i]![0]) return false;
  return true;
}
