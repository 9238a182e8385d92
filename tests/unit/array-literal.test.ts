/** The array literals the bulk write sends must read back as the same values (checked in PostgreSQL itself). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { numberArray, textArray } from "../../server/src/db/array-literal";
import { createTestDatabase, type TestDatabase } from "../support/db";

let db: TestDatabase;
beforeAll(async () => (db = await createTestDatabase({ migrated: false })));
afterAll(() => db.drop());

test("numbers, large int8 and nulls read back unchanged", async () => {
  const values = [0, 1, 2 ** 31 - 1, 2 ** 40, Number.MAX_SAFE_INTEGER, null];
  expect(numberArray(values)).toBe("{0,1,2147483647,1099511627776,9007199254740991,NULL}");
  const rows = await db.sql`select x::text as v from unnest(${numberArray(values)}::int8[]) with ordinality as u(x, n) order by n`;
  expect(rows.map((r) => r.v)).toEqual(["0", "1", "2147483647", "1099511627776", "9007199254740991", null]);
  expect(numberArray([])).toBe("{}");
});

test("text with quotes, backslashes, commas, braces, spaces, NULL and unicode reads back unchanged", async () => {
  const values = ['say "hi"', "back\\slash", "a,b", "{x}", " padded ", "NULL", "", "Ünïcødé-x", 'both \\"'];
  const rows = await db.sql`select x as v from unnest(${textArray(values)}::text[]) with ordinality as u(x, n) order by n`;
  expect(rows.map((r) => r.v)).toEqual(values);
  const plain = ["Player_1-x", "Player_2-p"];
  expect(textArray(plain)).toBe('{"Player_1-x","Player_2-p"}');
  const [again] = await db.sql`select ${textArray(plain)}::text[] as a`;
  expect(again!.a).toEqual(plain);
  expect(textArray([])).toBe("{}");
});
