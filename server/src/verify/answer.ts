/**
 * One client's answer for one batch, and how two answers of the same batch
 * relate. Honest answers of the same batch differ only by what really
 * happened between the two queries: accounts play battles, so the later
 * answer may be ahead of the earlier one — never behind, and never ahead in
 * a way no battle explains. That is the whole test, made precise below.
 */
import type { PlayerRow } from "@wotc/schema/player";
import type { ResultColumns } from "@wotc/schema/wire/result-frame";

export interface Answer {
  batchId: number;
  sessionId: string;
  /** Name of the token the client connected with: trust, checks and suspension are per token. */
  token: string;
  keyIndex: number;
  /** Server clock (ms): the lease was handed out; the client cannot have asked WG before. */
  leasedAt: number;
  /** Server clock (ms): the answer arrived; the client asked WG before. */
  receivedAt: number;
  /** Sorted by account id; absent for an answer known only by its hash (committed earlier, rows in the database). */
  rows?: PlayerRow[];
  /** The result as received and checked (columns, in account order): what is written. Absent for an answer known only by its rows or hash. */
  result?: ResultColumns;
  hash: string;
}

const ACCOUNT = 0;
const CREATED_AT = 2;
const LAST_BATTLE = 3;
const UPDATED_AT = 4;
const BATTLES = 5;
const WINS = 7;
/** battles, spotted, wins, damage_dealt, frags, dropped_capture_points */
const COUNTERS = [5, 6, 7, 8, 9, 10] as const;

/**
 * How far the server's clock and WG's `updated_at` clock may disagree, and
 * how long WG may take to show an update (ms). Generous: a liar gains little
 * from it, an honest client must never be called a liar for it.
 */
export const CLOCK_SLACK_MS = 10 * 60_000;
/** The shortest battle: an account cannot have played more than one per this many ms between two answers. */
export const MIN_BATTLE_MS = 60_000;

/** sha256 of the sorted rows (first 128 bits, hex): equal answers have equal hashes, whichever client sent them. */
export function answerHash(sortedRows: readonly PlayerRow[]): string {
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(sortedRows)).digest("hex").slice(0, 32);
}

export type Relation = { kind: "equal" } | { kind: "explained" } | { kind: "unexplained"; why: string };

/**
 * How `later` relates to `earlier` (both with rows): equal; explained by
 * play between the two queries; or unexplained, with the first reason found.
 * Times are the server's: the earlier client may have asked WG as early as
 * its lease, the later one as late as its answer's arrival.
 */
export function relate(earlier: Answer, later: Answer): Relation {
  if (earlier.hash === later.hash) return { kind: "equal" };
  const a = earlier.rows;
  const b = later.rows;
  if (!a || !b) return { kind: "unexplained", why: "the answers differ" };
  const from = earlier.leasedAt;
  const to = later.receivedAt;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const idA = i < a.length ? a[i]![ACCOUNT] : Infinity;
    const idB = j < b.length ? b[j]![ACCOUNT] : Infinity;
    let why: string | undefined;
    if (idA === idB) why = rowChange(a[i++]!, b[j++]!, from, to);
    else if (idA < idB) {
      why = `account ${idA} is in the earlier answer and missing from the later one`;
      i++;
    } else {
      why = accountAppeared(b[j++]!, from, to);
    }
    if (why) return { kind: "unexplained", why };
  }
  return { kind: "explained" };
}

/** An account only the later answer has: it must have been created between the two queries. */
function accountAppeared(row: PlayerRow, from: number, to: number): string | undefined {
  const created = row[CREATED_AT] * 1000;
  if (created >= from - CLOCK_SLACK_MS && created <= to + CLOCK_SLACK_MS) return undefined;
  return `account ${row[ACCOUNT]} is missing from the earlier answer although it was created at ${iso(created)}, before that answer`;
}

/** Why the change from `x` (earlier) to `y` (later) of one account cannot be real, or undefined when it can. */
export function rowChange(x: PlayerRow, y: PlayerRow, from: number, to: number): string | undefined {
  const id = x[ACCOUNT];
  if (x[CREATED_AT] !== y[CREATED_AT]) return `account ${id}: created_at differs`;
  for (const c of COUNTERS) {
    if (y[c] < x[c]) return `account ${id}: ${COUNTER_NAMES[c]} ${y[c]} in the later answer, ${x[c]} in the earlier one`;
  }
  if (y[LAST_BATTLE] < x[LAST_BATTLE]) return `account ${id}: last_battle_time moved back`;
  if (y[UPDATED_AT] < x[UPDATED_AT]) return `account ${id}: updated_at moved back`;
  if (sameRow(x, y)) return undefined;
  // Something changed: WG must have updated the record between the two queries.
  const updated = y[UPDATED_AT] * 1000;
  if (y[UPDATED_AT] === x[UPDATED_AT]) return `account ${id}: the record changed but its updated_at did not`;
  if (updated < from - CLOCK_SLACK_MS) return `account ${id}: changed, but WG updated it at ${iso(updated)}, before the earlier answer was asked for`;
  if (updated > to + CLOCK_SLACK_MS) return `account ${id}: updated_at ${iso(updated)} is in the future`;
  const played = y[BATTLES] - x[BATTLES];
  if (y[WINS] - x[WINS] > played) return `account ${id}: ${y[WINS] - x[WINS]} more wins but ${played} more battles`;
  const possible = 1 + Math.floor(Math.max(0, to - from) / MIN_BATTLE_MS);
  if (played > possible) return `account ${id}: ${played} battles in ${Math.round((to - from) / 1000)} s`;
  return undefined;
}

function sameRow(x: PlayerRow, y: PlayerRow): boolean {
  for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  return true;
}

const COUNTER_NAMES: Record<number, string> = {
  5: "battles",
  6: "spotted",
  7: "wins",
  8: "damage_dealt",
  9: "frags",
  10: "dropped_capture_points",
};

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}
