/** Client tokens on a real database: shown once, stored hashed, revocable. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { TokenStore, describeTokenState, hashToken } from "../../server/src/tokens";
import { createTestDatabase, type TestDatabase } from "../support/db";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);
afterAll(async () => db?.drop(), 60_000);

test("a token is verified by its hash, never stored in the clear, and stops working when revoked", async () => {
  const tokens = new TokenStore(db.sql);
  const token = await tokens.add("alice");
  expect(token.length).toBeGreaterThanOrEqual(40);
  expect((await tokens.verify(token))?.name).toBe("alice");
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
  expect((await tokens.verify(second))?.name).toBe("bob");
  // What the server re-checks every few seconds for its open sockets: a socket opened with the old token is dropped.
  expect(await tokens.stillValid([hashToken(first), hashToken(second)])).toEqual(new Set([hashToken(second)]));
});

test("a name with spaces or slashes is refused with the rule", async () => {
  await expect(new TokenStore(db.sql).add("bad name/x")).rejects.toThrow(/use 1-64 letters/);
});

test("a suspended token is refused with its reason, kept out of open sockets, and starts over as new when reinstated", async () => {
  const tokens = new TokenStore(db.sql);
  const token = await tokens.add("carol");
  expect((await tokens.verify(token))?.trust).toBe("new");
  await tokens.recordVerdicts([{ name: "carol", agreements: 25, disagreements: 0, trust: "trusted" }]);
  expect(await tokens.get("carol")).toMatchObject({ trust: "trusted", agreements: 25 });

  expect(await tokens.suspend("carol", "answered batch 12 with 7 battles more than two other clients saw")).toBe(true);
  expect(await tokens.suspend("carol", "again")).toBe(false);
  const identity = await tokens.verify(token);
  expect(identity?.suspended?.reason).toContain("7 battles more");
  expect(await tokens.stillValid([hashToken(token)])).toEqual(new Set());
  const listed = (await tokens.list()).find((t) => t.name === "carol")!;
  expect(describeTokenState(listed)).toBe("suspended: answered batch 12 with 7 battles more than two other clients saw");

  expect(await tokens.reinstate("carol")).toBe(true);
  expect(await tokens.get("carol")).toMatchObject({ trust: "new", agreements: 0, suspendedAt: null });
  expect(await tokens.stillValid([hashToken(token)])).toEqual(new Set([hashToken(token)]));
});

test("an operator's token is trusted from the start, and `token trust` marks one later", async () => {
  const tokens = new TokenStore(db.sql);
  await tokens.add("home", { trusted: true });
  expect((await tokens.get("home"))?.trust).toBe("operator");
  await tokens.add("laptop");
  expect(await tokens.setTrust("laptop", "operator")).toBe(true);
  expect(describeTokenState((await tokens.get("laptop"))!)).toBe("trusted (operator)");
  // an earned promotion never lowers an operator's mark
  await tokens.recordVerdicts([{ name: "laptop", agreements: 1, disagreements: 0, trust: "trusted" }]);
  expect((await tokens.get("laptop"))?.trust).toBe("operator");
});
