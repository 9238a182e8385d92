/** The bits of accounts already in `players` (server/src/verify/known-accounts.ts), read for every answer. */
import { expect, test } from "bun:test";
import { KnownAccounts } from "../../server/src/verify/known-accounts";

test("an answer that leaves out a known account is caught, whatever answers came before it", () => {
  const known = new KnownAccounts(3);
  known.addAll(1, 5_100, Float64Array.of(5_100, 5_131, 5_164, 5_199));
  expect(known.count(1)).toBe(4);
  // every known account there, and one more: nothing missing
  expect(known.firstMissing(1, 5_100, Float64Array.of(5_100, 5_120, 5_131, 5_164, 5_199))).toBeUndefined();
  // the same batch without 5_164 right after: the earlier answer's bits must not cover for it
  expect(known.firstMissing(1, 5_100, Float64Array.of(5_100, 5_131, 5_199))).toBe(5_164);
  expect(known.firstMissing(1, 5_100, [])).toBe(5_100);
  // other batches know nothing yet
  expect(known.firstMissing(0, 5_000, [])).toBeUndefined();
  expect(known.firstMissing(2, 5_200, Float64Array.of(5_250))).toBeUndefined();
});
