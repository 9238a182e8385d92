/**
 * The player row, described once. PLAYER_FIELDS is the only place that lists
 * a player's fields: the wire position of each is its index, and from the
 * same table come the wire check and the WG decoder (schema/player-code.ts),
 * the chunk columns and the row → column copy, the dedupe/sort before the
 * upsert, and the test that holds the hand-written SQL to it
 * (tests/integration/player-fields.test.ts).
 *
 * On the wire a row is a tuple, not an object: a batch carries up to 100 of
 * them and keys would more than double the bytes.
 */

/**
 * What a field holds, and so how it is checked on the wire:
 * - `id`: an account ID, integer 1 .. 2^40;
 * - `name`: a string of at most NICKNAME_MAX characters;
 * - `time`: unix seconds (UTC), integer 0 .. 2^32; stored as timestamptz
 *   (`to_timestamp`), 0 stored as NULL where `wgNullable` (WG's null);
 * - `count`: a lifetime counter, integer 0 .. 2^53-1.
 */
export type FieldKind = "id" | "name" | "time" | "count";

/** The type of the field's `unnest` array in the upsert (`::int8[]`), and what it can store. */
export type SqlType = "int4" | "int8" | "text";

export interface PlayerField {
  /** The key in PlayerColumns. */
  readonly name: string;
  /** The `players` column. */
  readonly column: string;
  /** Dotted path in WG's player object (also the `fields=` entry). */
  readonly wg: string;
  readonly kind: FieldKind;
  readonly sql: SqlType;
  /** WG answers null for it (an account that never fought); the wire carries 0. */
  readonly wgNullable?: boolean;
}

export const PLAYER_FIELDS = [
  { name: "accountId", column: "account_id", wg: "account_id", kind: "id", sql: "int8" },
  { name: "nickname", column: "nickname", wg: "nickname", kind: "name", sql: "text" },
  { name: "createdAt", column: "created_at", wg: "created_at", kind: "time", sql: "int8" },
  { name: "lastBattleTime", column: "last_battle_time", wg: "last_battle_time", kind: "time", sql: "int8", wgNullable: true },
  { name: "updatedAt", column: "updated_at", wg: "updated_at", kind: "time", sql: "int8" },
  { name: "battles", column: "battles", wg: "statistics.all.battles", kind: "count", sql: "int4" },
  { name: "spotted", column: "spotted", wg: "statistics.all.spotted", kind: "count", sql: "int4" },
  { name: "wins", column: "wins", wg: "statistics.all.wins", kind: "count", sql: "int4" },
  // a busy account passes 2^31 damage; the other counters stay far below int4
  { name: "damageDealt", column: "damage_dealt", wg: "statistics.all.damage_dealt", kind: "count", sql: "int8" },
  { name: "frags", column: "frags", wg: "statistics.all.frags", kind: "count", sql: "int4" },
  { name: "droppedCapturePoints", column: "dropped_capture_points", wg: "statistics.all.dropped_capture_points", kind: "count", sql: "int4" },
] as const satisfies readonly PlayerField[];

type Fields = typeof PLAYER_FIELDS;
type AnyField = Fields[number];
type WireValue<F> = F extends { kind: "name" } ? string : number;
type RowOf<T extends readonly unknown[]> = { -readonly [I in keyof T]: WireValue<T[I]> };

/** What a client sends for each account it found: PLAYER_FIELDS' values in their order. */
export type PlayerRow = RowOf<Fields>;

/** Wire bounds (the range a well-formed row may carry), by kind. */
export const WIRE_BOUNDS: Record<Exclude<FieldKind, "name">, { min: number; max: number }> = {
  id: { min: 1, max: 2 ** 40 },
  time: { min: 0, max: 2 ** 32 },
  count: { min: 0, max: Number.MAX_SAFE_INTEGER },
};
export const NICKNAME_MAX = 64;
/** What the column can store; a wire-valid value beyond it would fail the whole chunk. */
export const SQL_MAX: Record<Exclude<SqlType, "text">, number> = { int4: 2 ** 31 - 1, int8: Number.MAX_SAFE_INTEGER };

export const PLATFORMS = ["xbox", "ps"] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * Player rows in columns, one array per field plus the platform: cheap to
 * structured-clone and ready for `unnest`.
 */
export type PlayerColumns = { [F in AnyField as F["name"]]: WireValue<F>[] } & { console: Platform[] };

export function emptyColumns(): PlayerColumns {
  const columns: Record<string, unknown[]> = { console: [] };
  for (const field of PLAYER_FIELDS) columns[field.name] = [];
  return columns as PlayerColumns;
}

/** The six counters, named as their columns in `players`, `total_battles` and `diff_battles`. */
export type Counter = Extract<AnyField, { kind: "count" }>["column"];
export const COUNTERS: readonly Counter[] = PLAYER_FIELDS.filter((f) => f.kind === "count").map((f) => f.column as Counter);
/** The six counters as columns of a row, named as in the tables. */
export type CounterColumns = Record<Counter, number>;

/** The fields the crawler asks WG for: exactly the row's. */
export const WG_FIELDS: readonly string[] = PLAYER_FIELDS.map((f) => f.wg);

/**
 * The platform of an account: the nickname suffix wins (cross-play made it the
 * only reliable signal), else the platform whose ID range was being crawled.
 */
export function consoleOf(nickname: string, crawledPlatform: Platform): Platform {
  if (nickname.endsWith("-x")) return "xbox";
  if (nickname.endsWith("-p")) return "ps";
  return crawledPlatform;
}
