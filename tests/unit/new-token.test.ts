/** Client and admin tokens as the operator hands them out. */
import { expect, test } from "bun:test";
import { newToken } from "../../server/src/tokens";

test("no token starts with '-', so `--token TOKEN` always reads it as the value (one in 64 did)", () => {
  const tokens = Array.from({ length: 20_000 }, () => newToken());
  expect(tokens.filter((token) => token.startsWith("-"))).toEqual([]);
  expect(new Set(tokens).size).toBe(tokens.length);
  expect(tokens.every((token) => /^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/.test(token))).toBe(true);
});
