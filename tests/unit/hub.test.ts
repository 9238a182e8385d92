/**
 * The client hub and the crawl without sockets or a database: rate shares of a
 * shared key, back-pressure, and what a client is told.
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { ServerConfig } from "@wotc/schema/config";
import { ClientHub } from "../../server/src/ws/hub";
import { refillStep } from "../../server/src/crawl/crawl";
import { packColumns } from "../../server/src/db/column-transfer";
import { emptyColumns } from "@wotc/schema/player";
import { crawling, fakeClient as fake, testConfig } from "../support/crawl-harness";

const config = (server: Record<string, unknown> = {}) => testConfig({ server });
const fakeClient = (hub: ClientHub, name: string, address?: string) => fake(hub, name, { trust: "operator", address });

describe("rate shares", () => {
  test("clients holding one key split its rate, and are re-told when one joins or leaves", () => {
    const hub = new ClientHub(config(), () => {});
    const a = fakeClient(hub, "a");
    expect(a.rates().at(-1)).toEqual({ type: "rate", rps: 20, inFlight: 22 });
    const b = fakeClient(hub, "b");
    expect(a.rates().at(-1)).toEqual({ type: "rate", rps: 10, inFlight: 12 });
    expect(b.rates().at(-1)).toEqual({ type: "rate", rps: 10, inFlight: 12 });
    const special = fakeClient(hub, "special");
    expect(special.rates().at(-1)).toEqual({ type: "rate", rps: 10, inFlight: 12 });
    expect(a.rates()).toHaveLength(2); // a client on another key does not change the split
    hub.close(b.session, "gone");
    expect(a.rates().at(-1)).toEqual({ type: "rate", rps: 20, inFlight: 22 });
  });

  test("the split is in whole requests that add up to the key's rate", () => {
    const hub = new ClientHub(config(), () => {});
    const clients = ["a", "b", "c"].map((name) => fakeClient(hub, name));
    const last = clients.map((c) => c.rates().at(-1)!);
    expect(last.map((m) => m.type === "rate" && m.rps)).toEqual([7, 7, 6]);
    // register, before the socket opens, answers the share a fourth client would get
    expect(hub.keys.offer({ tokenName: "d", address: "192.0.2.1" })).toMatchObject({ rps: 5 });
    hub.close(clients[0]!.session, "gone");
    expect(clients.slice(1).map((c) => c.rates().at(-1))).toEqual([
      { type: "rate", rps: 10, inFlight: 12 },
      { type: "rate", rps: 10, inFlight: 12 },
    ]);
  });

  test("a key counted per address is split only among the clients behind the same address", () => {
    const hub = new ClientHub(
      v.parse(ServerConfig, {
        server: { extraInFlight: 2 },
        wg: { keys: [{ applicationId: "standalone", rps: 10, clients: ["*"], countedPer: "address" }] },
        ranges: { xbox: { min: 5000, max: 6000 }, ps: { min: 1_073_740_000, max: 1_073_741_000 } },
      }),
      () => {},
    );
    const home = [fakeClient(hub, "h1", "198.51.100.7"), fakeClient(hub, "h2", "198.51.100.7")];
    const away = fakeClient(hub, "away", "203.0.113.9");
    expect(home.map((c) => c.rates().at(-1))).toEqual([
      { type: "rate", rps: 5, inFlight: 7 },
      { type: "rate", rps: 5, inFlight: 7 },
    ]);
    expect(away.rates().at(-1)).toEqual({ type: "rate", rps: 10, inFlight: 12 });
    expect(hub.keys.offer({ tokenName: "again", address: "203.0.113.9" })).toMatchObject({ rps: 5 });
    expect(hub.keys.offer({ tokenName: "new", address: "192.0.2.50" })).toMatchObject({ rps: 10 });
  });

  test("a key with fewer requests/s than holders gives each a fraction", () => {
    const hub = new ClientHub(
      v.parse(ServerConfig, {
        wg: { keys: [{ applicationId: "slow", rps: 2, clients: ["*"] }] },
        ranges: { xbox: { min: 5000, max: 6000 }, ps: { min: 1_073_740_000, max: 1_073_741_000 } },
      }),
      () => {},
    );
    const clients = ["a", "b", "c"].map((name) => fakeClient(hub, name));
    expect(clients.map((c) => { const m = c.rates().at(-1)!; return m.type === "rate" && m.rps; })).toEqual([2 / 3, 2 / 3, 2 / 3]);
  });

  test("a client no key covers is refused: keys follow the token, never the name the client sends", () => {
    const hub = new ClientHub(
      v.parse(ServerConfig, {
        wg: { keys: [{ applicationId: "k", rps: 5, clients: ["alice"] }] },
        ranges: { xbox: { min: 5000, max: 6000 }, ps: { min: 1_073_740_000, max: 1_073_741_000 } },
      }),
      () => {},
    );
    let reason = "";
    const session = hub.open({ name: "alice", tokenName: "bob", address: "192.0.2.9" }, { send: () => {}, close: (_c, r) => (reason = r) });
    expect(session).toBeUndefined();
    expect(reason).toContain("no WG key");
  });
});

describe("leasing", () => {
  test("the refill step is up to four slots and at most a fifth of what a client holds, so a small share still gets one at a time", () => {
    expect([1, 3, 5, 9, 10, 19, 20, 22, 32].map(refillStep)).toEqual([1, 1, 1, 1, 2, 3, 4, 4, 4]);
  });

  test("a client gets rate + extra batches, and answers free room that is refilled four at a time, in one message", () => {
    const { hub, book } = crawling(config());
    const a = fakeClient(hub, "a");
    const work = a.received.filter((m) => m.type === "work").flatMap((m) => (m.type === "work" ? m.batches : []));
    expect(work).toHaveLength(22);
    const first = work[0]!;
    const messages = () => a.received.filter((m) => m.type === "work").length;
    const before = messages();
    for (const batch of work.slice(0, 3)) hub.message(a.session, JSON.stringify({ type: "result", id: batch.id, rows: [] }));
    expect(book.heldBy(a.session.id)).toBe(19);
    expect(messages()).toBe(before);
    hub.message(a.session, JSON.stringify({ type: "result", id: work[3]!.id, rows: [] }));
    expect(book.heldBy(a.session.id)).toBe(22);
    expect(messages()).toBe(before + 1);
    expect(book.state(first.id)).toBe("writing");
    // a second answer to the same batch is refused
    hub.message(a.session, JSON.stringify({ type: "result", id: first.id, rows: [] }));
    expect(a.received.at(-1)).toEqual({ type: "error", message: `batch ${first.id} was already answered` });
  });

  test("while the database is behind, leasing stops and the client is told why; it resumes on commit", () => {
    const { hub, book, sink, commit } = crawling(config({ maxQueuedBatches: 3 }));
    const a = fakeClient(hub, "a");
    const leased = a.received.flatMap((m) => (m.type === "work" ? m.batches : []));
    // chunkRows is 1: each result with one row becomes a chunk of its own
    const answer = (batch: { id: number; start: number }) =>
      hub.message(a.session, JSON.stringify({ type: "result", id: batch.id, rows: [[batch.start, "p-x", 1, 1, 1, 1, 0, 0, 0, 0, 0]] }));
    leased.slice(0, 3).forEach(answer);
    const before = book.counts.leased;
    leased.slice(3, 6).forEach(answer);
    expect(book.counts.writing).toBe(6);
    expect(sink.jobs).toHaveLength(6);
    expect(book.counts.leased).toBe(before - 3); // nothing new leased while 3+ batches wait for the database
    for (const n of [1, 2, 3, 4]) commit(n);
    expect(book.counts.leased).toBe(22); // refilled once the queue drained below the limit
  });

  test("a database that cannot write pauses leasing, says so, and resumes when a chunk commits", () => {
    const { hub, crawl, commit, sink } = crawling(config());
    crawl.poolEvents.retrying(1, 1, "connection refused (ECONNREFUSED)");
    const b = fakeClient(hub, "b");
    expect(b.received.filter((m) => m.type === "work")).toHaveLength(0);
    expect(b.received).toContainEqual({ type: "wait", reason: "the database is unavailable (connection refused (ECONNREFUSED)); waiting for it" });
    sink.submit({ runDate: "2026-01-01", batches: [], players: packColumns(emptyColumns()) });
    commit(1);
    expect(b.received.filter((m) => m.type === "work")).toHaveLength(1);
  });
});
