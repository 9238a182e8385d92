/** Client tokens on a real database: shown once, stored hashed, revocable. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { TokenStore, hashToken } from "../../server/src/tokens";
import { createTestDatabase, type TestDatabase } from "../support/db";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

test("a token is verified by its hash, never stored in the clear, and stops working when revoked", async () => {
  const tokens = new TokenStore(db.sql);
  const token = await tokens.add("alice");
  expect(token.length).toBeGreaterThanOrEqual(40);
  expect(await tokens.verify(token)).toBe("alice");
  expect(await tokens.verify(`${token}x`)).toBeUndefined();
  expect(await tokens.verify(undefined)).toBeUndefined();

  const stored = await db.sql`select * from client_tokens where name = 'alice'`;
  expect(JSON.stringify(stored)).not.toContain(token);
  expect(stored[0]!.token_hash).toBe(hashToken(token));

  expect(await tokens.revoke("alice")).toBe(true);
  expect(await tokens.verify(token)).toBeUndefined();
  expect(await tokens.revoke("alice")).toBe(false);
  const [listed] = await tokens.list();
  expect(listed!.name).toBe("alice");
  expect(listed!.revokedAt).toBeInstanceOf(Date);
});

test("adding a name again replaces its token: the old one stops working, also for open sockets", async () => {
  const tokens = new TokenStore(db.sql);
  const first = await tokens.add("bob");
  const second = await tokens.add("bob");
  expect(await tokens.verify(first)).toBeUndefined();
  expect(await tokens.verify(second)).toBe("bob");
  // What the server re-checks every few seconds for its open sockets: a socket opened with the old token is dropped.
  expect(await tokens.stillValid([hashToken(first), hashToken(second)])).toEqual(new Set([hashToken(second)]));
});

test("a name with spaces or slashes is refused with the rule", async () => {
  await expect(new TokenStore(db.sql).add("bad name/x")).rejects.toThrow(/use 1-64 letters/);
});
