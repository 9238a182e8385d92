import { describe, expect, test } from "bun:test";
import { LeaseBook } from "../../server/src/plan/lease-book";
import { WorkPlan } from "../../server/src/plan/work-plan";

const ranges = { xbox: { min: 5000, max: 5450 }, ps: { min: 1_073_740_000, max: 1_073_740_200 } };

describe("WorkPlan", () => {
  test("cuts each platform into 100-id batches, the last one short", () => {
    const plan = new WorkPlan(ranges);
    expect(plan.total).toBe(5 + 2);
    expect(plan.ids).toBe(650);
    expect(plan.batch(0)).toEqual({ id: 0, platform: "xbox", start: 5000, end: 5100 });
    expect(plan.batch(4)).toEqual({ id: 4, platform: "xbox", start: 5400, end: 5450 });
    expect(plan.batch(5)).toEqual({ id: 5, platform: "ps", start: 1_073_740_000, end: 1_073_740_100 });
    expect(() => plan.batch(7)).toThrow(/outside the plan/);
  });

  test("maps a ledger batch back to its id, and refuses starts that are not batch starts", () => {
    const plan = new WorkPlan(ranges);
    expect(plan.idOf("ps", 1_073_740_100)).toBe(6);
    expect(plan.idOf("xbox", 5050)).toBeUndefined();
    expect(plan.idOf("xbox", 5500)).toBeUndefined();
  });
});

describe("LeaseBook", () => {
  test("never leases a committed batch and hands out each queued batch once", () => {
    const plan = new WorkPlan(ranges);
    const book = new LeaseBook(plan, [1, 5]);
    const leased = book.lease("a", 10, 60_000).map((b) => b.id);
    expect(leased).toEqual([0, 2, 3, 4, 6]);
    expect(book.lease("b", 10, 60_000)).toEqual([]);
    expect(book.counts).toEqual({ total: 7, queued: 0, leased: 5, writing: 0, committed: 2 });
  });

  test("a result moves its batch to writing only for the client holding it", () => {
    const book = new LeaseBook(new WorkPlan(ranges), []);
    book.lease("a", 1, 60_000);
    expect(book.startWriting("b", 0)).toBe(false);
    expect(book.startWriting("a", 0)).toBe(true);
    expect(book.startWriting("a", 0)).toBe(false); // a duplicated result
    expect(book.state(0)).toBe("writing");
    book.commit(0);
    expect(book.state(0)).toBe("committed");
  });

  test("a disconnected client's batches return to the queue and are leased first", () => {
    const book = new LeaseBook(new WorkPlan(ranges), []);
    book.lease("a", 3, 60_000);
    expect(book.releaseHolder("a")).toBe(3);
    expect(book.heldBy("a")).toBe(0);
    expect(book.lease("b", 4, 60_000).map((b) => b.id)).toEqual([0, 1, 2, 3]);
  });

  test("expired leases return to the queue", () => {
    let now = 1_000;
    const book = new LeaseBook(new WorkPlan(ranges), [], () => now);
    book.lease("a", 2, 5_000);
    now += 4_999;
    expect(book.expire()).toBe(0);
    now += 1;
    expect(book.expire()).toBe(2);
    expect(book.counts.queued).toBe(7);
    expect(book.startWriting("a", 0)).toBe(false); // a late answer to an expired lease
  });

  test("a chunk the database refused is leased again; completion needs every batch committed", () => {
    const book = new LeaseBook(new WorkPlan(ranges), []);
    for (const batch of book.lease("a", 7, 60_000)) book.startWriting("a", batch.id);
    for (let id = 0; id < 6; id++) book.commit(id);
    book.rewrite(6);
    expect(book.complete).toBe(false);
    expect(book.lease("b", 5, 60_000).map((b) => b.id)).toEqual([6]);
    book.startWriting("b", 6);
    book.commit(6);
    expect(book.complete).toBe(true);
  });
});
