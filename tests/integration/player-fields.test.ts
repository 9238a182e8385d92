/**
 * The upsert's SQL is written by hand (server/src/db/queries/ingest-chunk.ts);
 * this holds it to schema/player.ts' PLAYER_FIELDS and to the real `players`
 * table: every field is inserted, updated and `unnest`ed with its table's cast,
 * each `unnest` array carries that field's column, and `players` has the
 * column with the type the field's values are stored as.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { emptyColumns, PLAYER_FIELDS, type PlayerField } from "@wotc/schema/player";
import { ensurePartitions } from "../../server/src/db/queries/ensure-partitions.ts";
import { ingestChunk } from "../../server/src/db/queries/ingest-chunk.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

const DAY = "2031-05-06";
const FIELDS = PLAYER_FIELDS as readonly PlayerField[];

let db: TestDatabase;
let upsert: { text: string; parameters: unknown[] };
let chunkColumns: Record<string, unknown[]>;

beforeAll(async () => {
  db = await createTestDatabase();
  await ensurePartitions(db.sql, DAY);
  const seen: { text: string; parameters: unknown[] }[] = [];
  const sql = postgres(db.url, {
    max: 1,
    onnotice: () => {},
    connection: { TimeZone: "UTC" },
    debug: (_connection, text, parameters) => seen.push({ text, parameters: parameters as unknown[] }),
  });
  // a value of its own in every column, so each unnest array can be told apart
  const columns = emptyColumns() as unknown as Record<string, unknown[]>;
  FIELDS.forEach((field, i) => columns[field.name]!.push(field.kind === "name" ? "Fields-x" : field.kind === "id" ? 424_242 : 1_000 + i));
  columns.console!.push("xbox");
  chunkColumns = columns;
  await ingestChunk(sql, { runDate: DAY, batches: [], players: columns as never });
  await sql.end();
  upsert = seen.find((q) => /insert into players/.test(q.text))!;
});
afterAll(() => db.drop());

/** `{1,"a"}` → ["1", "a"] (the values here hold no commas or quotes) */
const elements = (literal: unknown) =>
  String(literal)
    .replace(/^\{|\}$/g, "")
    .split(",")
    .map((s) => s.replace(/^"|"$/g, ""));

/** `a, b,\n c` → ["a", "b", "c"] */
const list = (text: string) => text.split(",").map((s) => s.trim()).filter((s) => s !== "");

test("the upsert inserts and updates every field's column", () => {
  const inserted = list(upsert.text.match(/insert into players as p \(([^)]*)\)/)![1]!);
  const updated = [...upsert.text.matchAll(/(\w+) = excluded\.(\w+)/g)].filter((m) => m[1] === m[2]).map((m) => m[1]);
  for (const field of FIELDS) {
    expect({ column: field.column, inserted: inserted.includes(field.column) }).toEqual({ column: field.column, inserted: true });
    if (field.kind !== "id") expect({ column: field.column, updated: updated.includes(field.column) }).toEqual({ column: field.column, updated: true });
  }
});

test("each unnest array has the field's cast and carries that field's column", () => {
  const [, args, names] = upsert.text.match(/from unnest\(([\s\S]*?)\)\s*as u\(([\s\S]*?)\)/)!;
  const casts = list(args!).map((arg) => arg.match(/^\$(\d+)::(\w+)\[\]$/)!);
  const aliases = list(names!);
  expect(aliases.filter((name) => name !== "console")).toEqual(FIELDS.map((f) => f.column));
  for (const field of FIELDS) {
    const at = aliases.indexOf(field.column);
    const [, parameter, cast] = casts[at]!;
    expect({ column: field.column, cast }).toEqual({ column: field.column, cast: field.sql });
    // each array goes as its text literal: {424242} or {"Fields-x"}
    expect({ column: field.column, values: elements(upsert.parameters[Number(parameter) - 1]) }).toEqual({
      column: field.column,
      values: chunkColumns[field.name]!.map(String),
    });
  }
  const time = FIELDS.filter((f) => f.kind === "time").map((f) => f.column);
  for (const column of time) expect(upsert.text).toMatch(new RegExp(`to_timestamp\\((nullif\\()?u\\.${column}\\b`));
});

test("players has every field's column, with the type its values are stored as", async () => {
  const rows = await db.sql<{ column_name: string; data_type: string; is_nullable: string }[]>`
    select column_name, data_type, is_nullable from information_schema.columns
    where table_schema = current_schema() and table_name = 'players'`;
  const actual = new Map(rows.map((r) => [r.column_name, { type: r.data_type, nullable: r.is_nullable === "YES" }]));
  const stored = (field: PlayerField) =>
    field.kind === "time" ? "timestamp with time zone" : field.sql === "int4" ? "integer" : field.sql === "int8" ? "bigint" : "text";
  for (const field of FIELDS) {
    expect({ column: field.column, ...actual.get(field.column) }).toEqual({
      column: field.column,
      type: stored(field),
      nullable: field.wgNullable === true,
    });
  }
});

test("what was written reads back field by field", async () => {
  const [row] = await db.sql`select * from players where account_id = 424242`;
  for (const field of FIELDS) {
    const value = row![field.column];
    const expected = chunkColumns[field.name]![0];
    const read = value instanceof Date ? value.getTime() / 1000 : Number.isNaN(Number(value)) ? value : Number(value);
    expect({ column: field.column, value: read }).toEqual({ column: field.column, value: expected });
  }
});
