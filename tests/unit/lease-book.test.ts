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
    expect(book.counts).toEqual({ total: 7, queued: 0, leased: 5, checking: 0, held: 0, writing: 0, committed: 2, failed: 0 });
  });

  test("a lease names its holder and when it was handed out; writing drops it", () => {
    let now = 1_000;
    const book = new LeaseBook(new WorkPlan(ranges), [], () => now);
    book.lease("a", 1, 60_000);
    expect(book.leaseOf(0)).toEqual({ holder: "a", leasedAt: 1_000, deadline: 61_000, check: false });
    now = 2_000;
    book.write(0);
    expect(book.leaseOf(0)).toBeUndefined();
    expect(book.state(0)).toBe("writing");
    book.commit(0);
    expect(book.state(0)).toBe("committed");
  });

  test("an answer held for a check is leased to another client as a check, which changes no state", () => {
    const book = new LeaseBook(new WorkPlan(ranges), []);
    book.lease("a", 1, 60_000);
    expect(book.hold("b", 0)).toBe(false);
    expect(book.hold("a", 0)).toBe(true);
    expect(book.state(0)).toBe("held");
    expect(book.leaseCheck("b", 0, 60_000)?.id).toBe(0);
    expect(book.leaseCheck("c", 0, 60_000)).toBeUndefined(); // one checker at a time
    expect(book.counts).toMatchObject({ held: 1, checking: 1, leased: 0 });
    // the checker leaves: the batch stays held, free for another checker
    expect(book.releaseHolder("b")).toEqual([{ id: 0, check: true }]);
    expect(book.state(0)).toBe("held");
    expect(book.leaseCheck("c", 0, 60_000)?.id).toBe(0);
    book.hold("c", 0);
    book.write(0);
    book.commit(0);
    // a committed batch can be leased for a later check too, and a queued one cannot
    expect(book.leaseCheck("d", 0, 60_000)?.id).toBe(0);
    expect(book.leaseCheck("d", 1, 60_000)).toBeUndefined();
  });

  test("a disconnected client's batches return to the queue and are leased first", () => {
    const book = new LeaseBook(new WorkPlan(ranges), []);
    book.lease("a", 3, 60_000);
    expect(book.releaseHolder("a").map((r) => r.id)).toEqual([0, 1, 2]);
    expect(book.heldBy("a")).toBe(0);
    expect(book.lease("b", 4, 60_000).map((b) => b.id)).toEqual([0, 1, 2, 3]);
  });

  test("a batch a client failed goes after every other, so another client tries it first", () => {
    const book = new LeaseBook(new WorkPlan(ranges), []);
    book.lease("a", 1, 60_000);
    book.giveBack("a", 0, { last: true });
    expect(book.lease("b", 7, 60_000).map((b) => b.id)).toEqual([1, 2, 3, 4, 5, 6, 0]);
  });

  test("expired leases return to the queue; a client reporting progress keeps its leases, but not for ever", () => {
    let now = 1_000;
    const book = new LeaseBook(new WorkPlan(ranges), [], () => now);
    book.lease("a", 2, 5_000);
    now += 4_999;
    expect(book.expire()).toEqual([]);
    book.renew("a", 5_000, 12_000);
    now += 4_000;
    expect(book.expire()).toEqual([]);
    book.renew("a", 5_000, 12_000);
    now += 4_000; // 12,999 ms after leasing: past the 12 s cap
    expect(book.expire().map((e) => e.id)).toEqual([0, 1]);
    expect(book.counts.queued).toBe(7);
    expect(book.leaseOf(0)).toBeUndefined(); // a late answer finds no lease
  });

  test("completion needs every batch committed or set aside as failed; a re-queued batch is leased again", () => {
    const book = new LeaseBook(new WorkPlan(ranges), []);
    for (const batch of book.lease("a", 7, 60_000)) book.write(batch.id);
    for (let id = 0; id < 5; id++) book.commit(id);
    book.requeue(5); // the database refused it, or its answerer was found lying
    book.fail(6);
    expect(book.complete).toBe(false);
    expect(book.lease("b", 5, 60_000).map((b) => b.id)).toEqual([5]);
    book.write(5);
    book.commit(5);
    expect(book.counts).toMatchObject({ committed: 6, failed: 1 });
    expect(book.complete).toBe(true);
    // a committed batch found written by a liar is queued again
    book.requeue(2);
    expect(book.complete).toBe(false);
    expect(book.lease("c", 5, 60_000).map((b) => b.id)).toEqual([2]);
  });
});
