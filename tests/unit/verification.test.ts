/**
 * Verification in the crawl, without sockets or a database: who checks whose
 * answers, what is written when they agree or not, and what happens to a
 * client caught lying. The checks an operator would make: which answer was
 * written for each batch, with what provenance, and which token ended up
 * suspended.
 */
import { describe, expect, test } from "bun:test";
import type { Batch } from "@wotc/schema/wire/messages";
import { TrustBook } from "../../server/src/verify/trust-book";
import { crawling, drive, fakeClient, lastWritten, row, testConfig, type Behaviour } from "../support/crawl-harness";

/** Honest rows for a batch: every other id exists, with 10 battles. */
function honest(batch: Batch, battles = 10) {
  const rows = [];
  for (let id = batch.start; id < batch.end; id += 2) rows.push(row(id, battles));
  return rows;
}

const truthful: Behaviour = (batch) => honest(batch);
const inflating: Behaviour = (batch) => honest(batch, 17);

/** Every batch's last written rows are the honest ones. */
function expectAllHonest(written: ReturnType<typeof lastWritten>, total: number) {
  expect(written.size).toBe(total);
  for (const [start, w] of written) {
    expect({ start, battles: w.rows.map((r) => r[1]) }).toEqual({ start, battles: w.rows.map(() => 10) });
  }
}

describe("a new token's answers", () => {
  test("are all checked by a client of another token before they are written", () => {
    const h = crawling(testConfig({ verification: { agreementsToTrust: 1000 } }));
    const alice = fakeClient(h.hub, "alice");
    const bob = fakeClient(h.hub, "bob", { trust: "operator" });
    drive(h, [{ client: alice, behave: truthful }, { client: bob, behave: truthful }]);
    const written = lastWritten(h.sink);
    expectAllHonest(written, h.book.plan.total);
    for (const w of written.values()) {
      if (w.answeredBy === "alice") expect(w).toMatchObject({ checkState: "agreed", checkedBy: "bob" });
      else expect(w).toMatchObject({ answeredBy: "bob", checkState: "operator" });
    }
    expect([...written.values()].some((w) => w.answeredBy === "alice")).toBe(true);
    expect(h.crawl.trust.figures().find((t) => t.token === "alice")).toMatchObject({ state: "new", disagreements: 0 });
  });

  test("with nobody else there, they are written unchecked; a client of another token checks them later", () => {
    const h = crawling();
    const alice = fakeClient(h.hub, "alice");
    // alone for the first half of the run
    let answered = 0;
    drive(h, [{ client: alice, behave: (b) => (answered++ < 20 ? honest(b) : undefined) }], 5);
    expect(h.provenance.counts().unchecked).toBeGreaterThan(0);
    const bob = fakeClient(h.hub, "bob", { trust: "operator" });
    drive(h, [{ client: alice, behave: truthful }, { client: bob, behave: truthful }]);
    expect(h.crawl.state).toBe("complete");
    expectAllHonest(lastWritten(h.sink), h.book.plan.total);
    // bob had time to check some of what alice wrote alone
    expect(h.provenance.counts().agreed).toBeGreaterThan(0);
  });

  test("a token becomes trusted after enough agreeing answers, and is then checked only when drawn at random", () => {
    const h = crawling(testConfig({ verification: { agreementsToTrust: 3 }, xboxBatches: 200 }));
    const alice = fakeClient(h.hub, "alice");
    const bob = fakeClient(h.hub, "bob", { trust: "operator" });
    drive(h, [{ client: alice, behave: truthful }, { client: bob, behave: truthful }]);
    expect(h.crawl.trust.level("alice")).toBe("trusted");
    const states = [...lastWritten(h.sink).values()].filter((w) => w.answeredBy === "alice").map((w) => w.checkState);
    expect(states.filter((s) => s === "agreed").length).toBeGreaterThanOrEqual(3);
    expect(states).toContain("skipped");
    expect(h.log.some((line) => line.includes("token alice is trusted now"))).toBe(true);
  });
});

describe("a liar", () => {
  test("adding battles is outvoted by two other tokens and suspended; every batch ends with the honest answer", () => {
    const h = crawling();
    const mallory = fakeClient(h.hub, "mallory");
    const alice = fakeClient(h.hub, "alice", { trust: "operator" });
    const bob = fakeClient(h.hub, "bob", { trust: "operator" });
    drive(h, [{ client: mallory, behave: inflating }, { client: alice, behave: truthful }, { client: bob, behave: truthful }]);
    expect(h.crawl.state).toBe("complete");
    expect(h.suspended).toEqual([{ token: "mallory", reason: expect.stringContaining("battles 10 in the later answer, 17 in the earlier one") }]);
    expect(mallory.closed()).toContain("token suspended");
    expectAllHonest(lastWritten(h.sink), h.book.plan.total);
  });

  test("a new token lying as a checker (adding battles to other clients' answers) is caught too", () => {
    const h = crawling();
    const alice = fakeClient(h.hub, "alice");
    const bob = fakeClient(h.hub, "bob");
    const mallory = fakeClient(h.hub, "mallory");
    const honestOnOwn: Behaviour = (b) => (h.book.leaseOf(b.id)?.check ? inflating(b) : truthful(b));
    drive(h, [{ client: alice, behave: truthful }, { client: bob, behave: truthful }, { client: mallory, behave: honestOnOwn }]);
    expect(h.crawl.state).toBe("complete");
    expect(h.suspended.map((s) => s.token)).toEqual(["mallory"]);
    expectAllHonest(lastWritten(h.sink), h.book.plan.total);
  });

  test("a trusted liar found out by a spot check has every unconfirmed batch of the day crawled again and repaired", () => {
    const draws = { n: 0 };
    // trusted tokens' answers are not drawn for spot checks ... until the 6th draw
    const h = crawling(testConfig({ verification: { earlyChecks: 0 } }), { random: () => (++draws.n === 6 ? 0 : 0.99) });
    const mallory = fakeClient(h.hub, "mallory", { trust: "trusted" });
    const alice = fakeClient(h.hub, "alice", { trust: "operator" });
    const bob = fakeClient(h.hub, "bob", { trust: "operator" });
    drive(h, [{ client: mallory, behave: inflating }, { client: alice, behave: truthful }, { client: bob, behave: truthful }]);
    expect(h.crawl.state).toBe("complete");
    expect(h.suspended.map((s) => s.token)).toEqual(["mallory"]);
    const written = lastWritten(h.sink);
    expectAllHonest(written, h.book.plan.total);
    const repaired = [...written.values()].filter((w) => w.checkState === "repaired");
    expect(repaired.length).toBeGreaterThanOrEqual(5); // the five it wrote before the draw caught it
    expect(repaired.every((w) => w.repair && w.answeredBy !== "mallory")).toBe(true);
  });

  test("answering faster than its rate share allows is refused, and three times is a suspension", () => {
    const h = crawling(testConfig({ keys: [{ applicationId: "k", rps: 1, clients: ["*"] }], server: { extraInFlight: 10 } }));
    const fast = fakeClient(h.hub, "fast");
    drive(h, [{ client: fast, behave: () => [] }], 10);
    expect(fast.received.some((m) => m.type === "error" && /faster than a rate share of 1 requests\/s/.test(m.message))).toBe(true);
    expect(h.suspended[0]).toMatchObject({ token: "fast", reason: expect.stringContaining("it is not querying WG") });
  });

  test("leaving out an account the database knows is not taken on one client's word, even a trusted one's", () => {
    const h = crawling();
    const first = fakeClient(h.hub, "first", { trust: "operator" });
    const batch = first.work()[0]!;
    first.send({ type: "result", id: batch.id, rows: honest(batch) });
    h.commit(1);
    // the same batch answered again (a repair, say) by a trusted token, without its first account
    h.book.requeue(batch.id);
    first.session.close(1000, "bye");
    h.hub.close(first.session, "bye");
    const trusty = fakeClient(h.hub, "trusty", { trust: "trusted" });
    trusty.send({ type: "result", id: batch.id, rows: honest(batch).slice(1) });
    expect(h.book.state(batch.id)).toBe("held");
    expect(h.crawl.verifier.get(batch.id)?.reason).toBe("left out known accounts");
    expect(h.sink.jobs).toHaveLength(1);
  });

  test("inventing players, or answering empty, is caught as a new token", () => {
    for (const behave of [(b: Batch) => [...honest(b), row(b.start + 1, 3)], () => []] as Behaviour[]) {
      const h = crawling();
      const mallory = fakeClient(h.hub, "mallory");
      const alice = fakeClient(h.hub, "alice", { trust: "operator" });
      const bob = fakeClient(h.hub, "bob", { trust: "operator" });
      drive(h, [{ client: mallory, behave }, { client: alice, behave: truthful }, { client: bob, behave: truthful }]);
      expect(h.suspended.map((s) => s.token)).toEqual(["mallory"]);
      expectAllHonest(lastWritten(h.sink), h.book.plan.total);
      for (const w of lastWritten(h.sink).values()) expect(w.rows.length).toBe(50);
    }
  });
});

test("a trusted token's first answers of a run are checked more often than the rest", () => {
  let drawn = 0.5;
  const book = new TrustBook({ agreementsToTrust: 20, spotCheckShare: 0.03, earlyChecks: 5, random: () => drawn });
  book.know("t", "trusted", 100);
  const checked: boolean[] = [];
  for (let n = 1; n <= 20; n++) {
    book.result("t");
    checked.push(book.wantsCheck("t"));
  }
  // with a draw of 0.5: checked while 5/n > 0.5, i.e. the first 9 answers
  expect(checked.indexOf(false)).toBe(9);
  drawn = 0.02;
  for (let n = 21; n <= 1000; n++) book.result("t");
  expect(book.wantsCheck("t")).toBe(true); // never below the spot-check share
  drawn = 0.04;
  expect(book.wantsCheck("t")).toBe(false);
});

describe("every run ends", () => {
  test("a batch that three different clients fail is set aside as failed, and the run completes without it", () => {
    const h = crawling(testConfig({ verification: { failAfterClients: 3 } }));
    const clients = ["a", "b", "c"].map((name) => fakeClient(h.hub, name, { trust: "operator" }));
    const poison = clients[0]!.work()[0]!;
    const behave: Behaviour = (b) => (b.id === poison.id ? { fail: "WG error 504 SOURCE_NOT_AVAILABLE" } : honest(b));
    drive(h, clients.map((client) => ({ client, behave })));
    expect(h.crawl.state).toBe("complete");
    expect(h.book.state(poison.id)).toBe("failed");
    expect(h.failed).toEqual([{ batch: poison, reason: "WG error 504 SOURCE_NOT_AVAILABLE" }]);
    expect(h.crawl.status().failedBatches).toEqual([expect.objectContaining({ start: poison.start, reason: "WG error 504 SOURCE_NOT_AVAILABLE" })]);
  });

  test("one client alone failing a batch over and over sets it aside too (after twice as many tries)", () => {
    const h = crawling(testConfig({ verification: { failAfterClients: 2, maxFailedPerMinute: 100 } }));
    const alone = fakeClient(h.hub, "alone", { trust: "operator" });
    const poison = alone.work()[0]!;
    drive(h, [{ client: alone, behave: (b) => (b.id === poison.id ? { fail: "HTTP 500" } : honest(b)) }]);
    expect(h.crawl.state).toBe("complete");
    expect(h.failed.map((f) => f.batch.id)).toEqual([poison.id]);
  });

  test("client-chosen text never reaches the log with its control characters", () => {
    const h = crawling();
    const a = fakeClient(h.hub, "a", { trust: "operator" });
    a.send({ type: "failed", id: a.work()[0]!.id, reason: "line one\nFAKE 12:00:00 server says all is well\u001b[31m" });
    expect(h.log.join("\n")).toContain("line one\\u000aFAKE 12:00:00 server says all is well\\u001b[31m");
    expect(h.log.some((line) => line.includes("\n"))).toBe(false);
  });
});
