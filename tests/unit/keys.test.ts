/**
 * Which WG key a client gets and its share of the key's rate: the operator's
 * keys, and the keys volunteers bring (known to the server by hash only),
 * under each wg.volunteerKeys policy.
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { ServerConfig } from "@wotc/schema/config";
import { ownKeyHash, type OwnKey } from "@wotc/schema/wire/register";
import { KeyRing, OWN_KEY_REFUSED, OWN_KEY_REQUIRED } from "../../server/src/keys";
import { ClientHub } from "../../server/src/ws/hub";
import { createApp } from "../../server/src/app";
import { ownKeyOf } from "../../server/src/routes/work";
import type { TokenStore } from "../../server/src/tokens";
import { fakeClient, testConfig } from "../support/crawl-harness";

const RANGES = { xbox: { min: 5000, max: 6000 }, ps: { min: 1_073_740_000, max: 1_073_741_000 } };
const OPERATOR_KEYS = [
  { applicationId: "shared-operator-key", rps: 20, clients: ["*"] },
  { applicationId: "alice-operator-key", rps: 10, clients: ["alice", "198.51.100.7"] },
];

function ring(wg: Record<string, unknown> = {}) {
  return new KeyRing(v.parse(ServerConfig, { wg: { keys: OPERATOR_KEYS, ...wg }, ranges: RANGES }).wg);
}

const hashA = ownKeyHash("volunteer-key-a");
const hashB = ownKeyHash("volunteer-key-b");
const own = (hash: string, rps = 10, per: OwnKey["per"] = "key"): OwnKey => ({ hash, rps, per });
const holder = (tokenName: string, address = "192.0.2.1", ownKey?: OwnKey) => ({ tokenName, address, ...(ownKey ? { ownKey } : {}) });
const joined = (keys: KeyRing, id: string, h: ReturnType<typeof holder>) => {
  const result = keys.join(id, h);
  if ("refused" in result) throw new Error(result.refused);
  return result.keyIndex;
};

describe("the operator's keys (wg.volunteerKeys \"never\", the default)", () => {
  test("a key naming the token or address wins, else the catch-all; holders split its rate", () => {
    const keys = ring();
    expect(keys.offer(holder("alice"))).toEqual({ rps: 10, applicationId: "alice-operator-key" });
    expect(keys.offer(holder("bob", "198.51.100.7"))).toEqual({ rps: 10, applicationId: "alice-operator-key" });
    expect(keys.offer(holder("bob"))).toEqual({ rps: 20, applicationId: "shared-operator-key" });
    expect(joined(keys, "c1", holder("bob"))).toBe(0);
    expect(keys.offer(holder("carol"))).toEqual({ rps: 10, applicationId: "shared-operator-key" });
    expect(joined(keys, "c2", holder("carol"))).toBe(0);
    expect(keys.share(0, "c1")).toBe(10);
    keys.leave(0, "c2");
    expect(keys.share(0, "c1")).toBe(20);
  });

  test("a client bringing its own key is refused, saying how to run instead", () => {
    const keys = ring();
    expect(keys.offer(holder("bob", "192.0.2.1", own(hashA)))).toEqual({ refused: OWN_KEY_REFUSED });
    expect(keys.join("c1", holder("bob", "192.0.2.1", own(hashA)))).toEqual({ refused: OWN_KEY_REFUSED });
    expect(OWN_KEY_REFUSED).toContain("without --application-id");
  });
});

describe("volunteers' own keys (\"welcome\")", () => {
  test("a volunteer's key gets no operator key, a key index of its own beyond the operator's, and the rate it claims", () => {
    const keys = ring({ volunteerKeys: "welcome" });
    expect(keys.offer(holder("bob", "192.0.2.1", own(hashA, 8)))).toEqual({ rps: 8 });
    const a = joined(keys, "c1", holder("bob", "192.0.2.1", own(hashA, 8)));
    const b = joined(keys, "c2", holder("carol", "192.0.2.2", own(hashB, 8)));
    expect(a).toBeGreaterThanOrEqual(OPERATOR_KEYS.length);
    expect(b).toBeGreaterThanOrEqual(OPERATOR_KEYS.length);
    expect(a).not.toBe(b);
    expect(keys.isOwn(a) && !keys.isOwn(0)).toBe(true);
    expect([keys.share(a, "c1"), keys.share(b, "c2")]).toEqual([8, 8]);
    // operator-key clients are as before, and do not count against a volunteer's key
    expect(keys.offer(holder("dave"))).toEqual({ rps: 20, applicationId: "shared-operator-key" });
  });

  test("clients bringing the same key (same hash) share one key index and split its rate, whatever their tokens", () => {
    const keys = ring({ volunteerKeys: "welcome" });
    const first = joined(keys, "c1", holder("bob", "192.0.2.1", own(hashA, 10)));
    expect(keys.offer(holder("carol", "203.0.113.9", own(hashA, 10)))).toEqual({ rps: 5 });
    expect(joined(keys, "c2", holder("carol", "203.0.113.9", own(hashA, 10)))).toBe(first);
    expect(keys.holdersOf(first).sort()).toEqual(["c1", "c2"]);
    expect([keys.share(first, "c1"), keys.share(first, "c2")]).toEqual([5, 5]);
    expect(keys.rateOf(first)).toBe(10);
    keys.leave(first, "c1");
    expect(keys.share(first, "c2")).toBe(10);
  });

  test("the lowest rate a holder claims is the key's rate, and no claim goes above wg.volunteerMaxRps", () => {
    const keys = ring({ volunteerKeys: "welcome", volunteerMaxRps: 15 });
    const index = joined(keys, "c1", holder("bob", "192.0.2.1", own(hashA, 500)));
    expect(keys.share(index, "c1")).toBe(15);
    joined(keys, "c2", holder("carol", "192.0.2.2", own(hashA, 6)));
    expect([keys.share(index, "c1"), keys.share(index, "c2")]).toEqual([3, 3]);
    expect(keys.rateOf(index)).toBe(6);
  });

  test("a key counted per address is split among the holders at one address; one holder saying per key makes it per key for all", () => {
    const keys = ring({ volunteerKeys: "welcome" });
    const index = joined(keys, "home-1", holder("bob", "192.0.2.1", own(hashA, 10, "address")));
    joined(keys, "home-2", holder("bob", "192.0.2.1", own(hashA, 10, "address")));
    joined(keys, "office", holder("bob", "198.51.100.20", own(hashA, 10, "address")));
    expect(["home-1", "home-2", "office"].map((id) => keys.share(index, id))).toEqual([5, 5, 10]);
    expect(keys.offer(holder("bob", "198.51.100.20", own(hashA, 10, "address")))).toEqual({ rps: 5 });
    joined(keys, "laptop", holder("bob", "203.0.113.5", own(hashA, 10, "key")));
    // in whole requests, in the order they joined (server/src/keys.ts): 10 = 3 + 3 + 2 + 2
    expect(["home-1", "home-2", "office", "laptop"].map((id) => keys.share(index, id))).toEqual([3, 3, 2, 2]);
  });

  test("a key whose last holder left is forgotten, and its key index is not given to another key", () => {
    const keys = ring({ volunteerKeys: "welcome" });
    const first = joined(keys, "c1", holder("bob", "192.0.2.1", own(hashA)));
    keys.leave(first, "c1");
    expect(keys.holdersOf(first)).toEqual([]);
    const next = joined(keys, "c2", holder("carol", "192.0.2.1", own(hashB)));
    const again = joined(keys, "c3", holder("bob", "192.0.2.1", own(hashA)));
    expect(new Set([first, next, again]).size).toBe(3);
  });
});

describe("volunteers' own keys required (\"required\")", () => {
  test("a client without a key is refused, told where to get one and how to pass it; the operator may configure no key at all", () => {
    const keys = new KeyRing(v.parse(ServerConfig, { wg: { volunteerKeys: "required" }, ranges: RANGES }).wg);
    expect(keys.offer(holder("bob"))).toEqual({ refused: OWN_KEY_REQUIRED });
    expect(OWN_KEY_REQUIRED).toContain("https://developers.wargaming.net/applications/");
    expect(OWN_KEY_REQUIRED).toContain("--application-id-file FILE");
    expect(joined(keys, "c1", holder("bob", "192.0.2.1", own(hashA)))).toBe(0);
  });
});

describe("the hub with volunteers' keys", () => {
  test("a second client on the same key re-splits its rate for both; a client on another key changes nothing", () => {
    const hub = new ClientHub(testConfig({ wg: { volunteerKeys: "welcome" } }), () => {});
    const a = fakeClient(hub, "bob", { ownKey: own(hashA, 10) });
    expect(a.rates().at(-1)).toEqual({ type: "rate", rps: 10, inFlight: 12 });
    const b = fakeClient(hub, "carol", { ownKey: own(hashA, 10) });
    expect(a.rates().at(-1)).toEqual({ type: "rate", rps: 5, inFlight: 7 });
    expect(b.rates().at(-1)).toEqual({ type: "rate", rps: 5, inFlight: 7 });
    const c = fakeClient(hub, "dave", { ownKey: own(hashB, 10) });
    const operator = fakeClient(hub, "erin");
    expect(c.rates().at(-1)).toEqual({ type: "rate", rps: 10, inFlight: 12 });
    expect(operator.rates().at(-1)).toEqual({ type: "rate", rps: 20, inFlight: 22 });
    expect(a.rates()).toHaveLength(2);
    expect(new Set([a, c, operator].map((x) => x.session.keyIndex)).size).toBe(3);
    expect(a.session.keyIndex).toBe(b.session.keyIndex);
    expect([a.session.ownKey, operator.session.ownKey]).toEqual([true, false]);
    hub.close(b.session, "gone");
    expect(a.rates().at(-1)).toEqual({ type: "rate", rps: 10, inFlight: 12 });
  });

  test("a client the policy refuses is told why in an error message, and its socket is closed before it counts", () => {
    const hub = new ClientHub(testConfig({ wg: { volunteerKeys: "required" } }), () => {});
    const sent: string[] = [];
    let closed: [number, string] | undefined;
    const session = hub.open({ name: "bob", tokenName: "bob", address: "192.0.2.1" }, { send: (text) => sent.push(text), close: (code, reason) => (closed = [code, reason]) });
    expect(session).toBeUndefined();
    expect(sent.map((text) => JSON.parse(text))).toEqual([{ type: "error", message: OWN_KEY_REQUIRED }]);
    expect(closed?.[0]).toBe(1008);
    expect(hub.size).toBe(0);
  });
});

describe("register and the work socket with a volunteer's key", () => {
  function appWith(wg: Record<string, unknown>) {
    const config = v.parse(ServerConfig, { wg: { keys: [{ applicationId: "secret-app-id", rps: 10, clients: ["*"] }], ...wg }, ranges: RANGES });
    const tokens = { verify: async (token: string | undefined) => (token === "good-token" ? "volunteer" : undefined) } as unknown as TokenStore;
    const app = createApp({ config, hub: new ClientHub(config, () => {}), tokens, currentCrawl: () => undefined, version: "test" });
    return (body: Record<string, unknown>) =>
      app.request("http://tracker.example.org:8888/api/register", {
        method: "POST",
        headers: { authorization: "Bearer good-token", "content-type": "application/json" },
        body: JSON.stringify({ name: "box", version: "0.2.0", ...body }),
      });
  }

  test("welcome: the answer carries none of the operator's keys, the share of the claimed rate, and the claim for the socket", async () => {
    const register = appWith({ volunteerKeys: "welcome" });
    const response = await register({ ownKey: own(hashA, 8, "address") });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain("secret-app-id");
    const settings = JSON.parse(text);
    expect(settings.applicationId).toBeUndefined();
    expect(settings.rps).toBe(8);
    expect(settings.workPath).toBe(`/api/work?name=box&version=0.2.0&key=${hashA}&rps=8&per=address`);
    // and a client without a key still gets the operator's
    expect(((await (await register({})).json()) as { applicationId: string }).applicationId).toBe("secret-app-id");
  });

  test("never and required refuse with 403 and the words that say what to do", async () => {
    expect([(await appWith({})({ ownKey: own(hashA) })).status, await (await appWith({})({ ownKey: own(hashA) })).json()]).toEqual([403, { error: OWN_KEY_REFUSED }]);
    const required = appWith({ volunteerKeys: "required" });
    const refused = await required({});
    expect([refused.status, await refused.json()]).toEqual([403, { error: OWN_KEY_REQUIRED }]);
  });

  test("a client sending its key where the hash goes is refused without the key being echoed", async () => {
    const key = "0123456789abcdef0123456789abcdef";
    const response = await appWith({ volunteerKeys: "welcome" })({ ownKey: { hash: key, rps: 10, per: "key" } });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain("never the key");
    expect(text).not.toContain(key);
  });

  test("the socket reads the claim back from its query, and refuses a malformed one", () => {
    expect(ownKeyOf(undefined, undefined, undefined)).toBeUndefined();
    expect(ownKeyOf(hashA, "8", "address")).toEqual(own(hashA, 8, "address"));
    for (const [key, rps, per] of [[hashA, "fast", "key"], [hashA, "8", undefined], ["beef", "8", "key"], [hashA, "", "key"]] as const) {
      expect(ownKeyOf(key, rps, per)).toEqual({ invalid: expect.stringContaining("invalid own-key parameters on the work socket") });
    }
  });
});
