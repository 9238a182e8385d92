/**
 * When two answers of one batch differ, is it real play between the two
 * queries or a lie? The rules an operator can read off these cases.
 */
import { describe, expect, test } from "bun:test";
import type { PlayerRow } from "@wotc/schema/player";
import { answerHash, relate, type Answer } from "../../server/src/verify/answer";
import { columnsToRows, rowsToColumns } from "@wotc/schema/wire/result-frame";
import { settle } from "../../server/src/verify/verdict";

const T0 = Date.parse("2026-11-30T12:00:00Z");
const s = (ms: number) => Math.floor(ms / 1000);

function player(id: number, battles: number, updatedAt = s(T0 - 3_600_000), extra: Partial<{ wins: number; created: number }> = {}): PlayerRow {
  return [id, `p${id}-x`, extra.created ?? 1_400_000_000, updatedAt - 100, updatedAt, battles, battles, extra.wins ?? Math.floor(battles / 2), battles * 1000, battles, battles];
}

function answer(token: string, rows: PlayerRow[], leasedAt: number, receivedAt = leasedAt + 2_000): Answer {
  const sorted = columnsToRows(rowsToColumns(rows)); // in account order, as the server puts every result
  return { batchId: 1, sessionId: `s-${token}`, token, keyIndex: 0, leasedAt, receivedAt, rows: sorted, hash: answerHash(sorted) };
}

describe("relate", () => {
  test("the same accounts in another order are the same answer", () => {
    const a = answer("a", [player(1, 10), player(2, 20)], T0);
    const b = answer("b", [player(2, 20), player(1, 10)], T0 + 5_000);
    expect(a.hash).toBe(b.hash);
    expect(relate(a, b)).toEqual({ kind: "equal" });
  });

  test("a battle WG recorded between the two queries is real play", () => {
    const a = answer("a", [player(1, 10)], T0);
    const b = answer("b", [player(1, 11, s(T0 + 30_000))], T0 + 60_000);
    expect(relate(a, b)).toEqual({ kind: "explained" });
  });

  test("a later answer behind the earlier one is a lie", () => {
    const a = answer("a", [player(1, 17)], T0);
    const b = answer("b", [player(1, 10)], T0 + 5_000);
    expect(relate(a, b)).toEqual({ kind: "unexplained", why: "account 1: battles 10 in the later answer, 17 in the earlier one" });
  });

  test("more battles without WG updating the record, or updated long before the first query, are no real play", () => {
    const a = answer("a", [player(1, 10)], T0);
    expect(relate(a, answer("b", [player(1, 17)], T0 + 5_000))).toMatchObject({ why: "account 1: the record changed but its updated_at did not" });
    const old = s(T0 - 2 * 3_600_000 + 7_200_000 - 3_600_000); // an hour before the first query
    expect(relate(answer("a", [player(1, 10, old - 60)], T0), answer("b", [player(1, 11, old)], T0 + 5_000))).toMatchObject({
      why: expect.stringContaining("before the earlier answer was asked for"),
    });
  });

  test("more battles than the time between the queries allows, or more wins than battles, are lies", () => {
    const a = answer("a", [player(1, 10)], T0);
    expect(relate(a, answer("b", [player(1, 17, s(T0 + 1_000))], T0 + 5_000))).toMatchObject({ why: "account 1: 7 battles in 7 s" });
    expect(relate(a, answer("b", [player(1, 11, s(T0 + 1_000), { wins: 9 })], T0 + 120_000))).toMatchObject({ why: "account 1: 4 more wins but 1 more battles" });
  });

  test("accounts do not vanish; one only the later answer has must be new", () => {
    const a = answer("a", [player(1, 10), player(2, 5)], T0);
    expect(relate(a, answer("b", [player(1, 10)], T0 + 5_000))).toMatchObject({ why: "account 2 is in the earlier answer and missing from the later one" });
    const created = s(T0 + 10_000);
    expect(relate(answer("a", [player(1, 10)], T0), answer("b", [player(1, 10), player(3, 0, created, { created })], T0 + 20_000))).toEqual({ kind: "explained" });
    expect(relate(answer("a", [player(1, 10)], T0), answer("b", [player(1, 10), player(3, 4)], T0 + 20_000))).toMatchObject({
      why: expect.stringContaining("account 3 is missing from the earlier answer although it was created at 2014"),
    });
  });
});

describe("settle", () => {
  const honest = [player(1, 10), player(2, 20)];
  const lie = [player(1, 17), player(2, 27)];

  test("two tokens agreeing settle it; the odd one out, earlier and ahead, is a liar", () => {
    const verdict = settle([answer("mallory", lie, T0), answer("alice", honest, T0 + 3_000), answer("bob", honest, T0 + 6_000)]);
    expect(verdict).toMatchObject({ kind: "settled", agreeing: ["alice", "bob"], winner: { token: "alice" } });
    if (verdict.kind !== "settled") return;
    expect(verdict.odd).toEqual([expect.objectContaining({ lie: true, why: "account 1: battles 10 in the later answer, 17 in the earlier one" })]);
  });

  test("a stale answer (WG updated the record after it) is outvoted but is no lie", () => {
    const played = [player(1, 11, s(T0 + 1_000)), player(2, 20)];
    const verdict = settle([answer("carol", honest, T0), answer("alice", played, T0 + 60_000), answer("bob", played, T0 + 65_000)]);
    expect(verdict).toMatchObject({ kind: "settled", odd: [expect.objectContaining({ lie: false })] });
  });

  test("two agreeing sessions of one token are one witness; two contradicting pairs of strangers settle nothing", () => {
    const sameToken = { ...answer("alice", honest, T0 + 1_000), sessionId: "s-alice-2" };
    expect(settle([answer("alice", honest, T0), sameToken, answer("mallory", lie, T0 + 2_000)])).toEqual({ kind: "open" });
    expect(settle([answer("a", honest, T0), answer("b", honest, T0), answer("m", lie, T0), answer("n", lie, T0)])).toEqual({ kind: "open" });
  });

  test("the operator's own token settles a case alone", () => {
    const verdict = settle([answer("mallory", lie, T0), answer("home", honest, T0 + 3_000)], (t) => t === "home");
    expect(verdict).toMatchObject({ kind: "settled", winner: { token: "home" }, odd: [expect.objectContaining({ lie: true })] });
  });
});
