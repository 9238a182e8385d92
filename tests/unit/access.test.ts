/**
 * Access control without sockets: the address lists (IPv4, IPv6, CIDR, mapped
 * addresses), the per-address limits, and the middleware on a real app
 * (`app.request` with a fake `requestIP`, as Bun's server provides it).
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { ServerConfig } from "@wotc/schema/config";
import { AddressFilter, isLoopback, normalizeAddress } from "../../server/src/access/address-filter";
import { AddressLimits } from "../../server/src/access/address-limits";
import { AccessControl } from "../../server/src/access/access-control";
import { RevocationWatch } from "../../server/src/access/revocation-watch";
import { loadAdminToken } from "../../server/src/access/admin-token";
import { createApp } from "../../server/src/app";
import { ClientAddressResolver } from "../../server/src/access/client-address";
import { isLoopbackHost } from "../../server/src/routes/viewer";
import { exposureWarnings } from "../../server/src/access/exposure";
import { plainHttpWarning } from "../../client/src/urls";
import { ClientHub } from "../../server/src/ws/hub";
import type { TokenStore } from "../../server/src/tokens";
import type { Crawl } from "../../server/src/crawl/crawl";
import { mkdtemp, readFile, stat, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE = {
  wg: { keys: [{ applicationId: "secret-app-id", rps: 10, clients: ["*"] }] },
  ranges: { xbox: { min: 1, max: 1001 }, ps: { min: 2000, max: 3001 } },
};

function config(extra: Record<string, unknown> = {}): ServerConfig {
  return v.parse(ServerConfig, { ...BASE, ...extra });
}

describe("address lists", () => {
  test("IPv4 and IPv6 CIDR ranges: deny wins, an empty allow list allows the rest", () => {
    const filter = new AddressFilter(["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"], ["10.9.0.0/16", "2001:db8:dead::/48"]);
    expect(filter.allows("10.1.2.3")).toBe(true);
    expect(filter.allows("10.9.1.1")).toBe(false);
    expect(filter.allows("11.0.0.1")).toBe(false);
    expect(filter.allows("192.0.2.7")).toBe(true);
    expect(filter.allows("192.0.2.8")).toBe(false);
    expect(filter.allows("2001:db8:1::5")).toBe(true);
    expect(filter.allows("2001:db8:dead:beef::1")).toBe(false);
    expect(filter.allows("2001:db9::1")).toBe(false);
    expect(filter.allows("unknown")).toBe(false);

    const denyOnly = new AddressFilter([], ["203.0.113.0/24"]);
    expect(denyOnly.allows("203.0.113.9")).toBe(false);
    expect(denyOnly.allows("198.51.100.1")).toBe(true);
    expect(new AddressFilter([], []).allows("unknown")).toBe(true);
  });

  test("an IPv4 address seen on a dual-stack socket (::ffff:a.b.c.d) matches IPv4 rules", () => {
    expect(normalizeAddress("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(new AddressFilter(["10.0.0.0/8"], []).allows("::ffff:10.1.2.3")).toBe(true);
    expect(new AddressFilter([], ["10.0.0.0/8"]).allows("::ffff:10.1.2.3")).toBe(false);
    expect(isLoopback("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("127.8.9.10")).toBe(true);
    expect(isLoopback("10.0.0.1")).toBe(false);
  });

  test("a rule written in the mapped form matches too: the lists and the addresses use one spelling", () => {
    expect(new AddressFilter(["::ffff:10.0.0.0/104"], []).allows("10.1.2.3")).toBe(true);
    expect(new AddressFilter([], ["::ffff:192.0.2.7"]).allows("::ffff:192.0.2.7")).toBe(false);
    expect(new AddressFilter([], ["::ffff:192.0.2.7"]).allows("192.0.2.7")).toBe(false);
  });

  test("the config names a bad rule by its path", () => {
    const result = v.safeParse(ServerConfig, { ...BASE, access: { allow: ["10.0.0.0/8", "10.0.0.0/33"], deny: ["host.example"] } });
    expect(result.success).toBe(false);
    const paths = result.issues!.map((i) => v.getDotPath(i));
    expect(paths).toEqual(["access.allow.1", "access.deny.0"]);
    expect(v.safeParse(ServerConfig, { ...BASE, tls: { cert: "a.pem" } }).success).toBe(false);
  });
});

describe("per-address limits", () => {
  test("connections per address: the one over the limit is refused until one closes", () => {
    const limits = new AddressLimits({ maxConnections: 2, registerPerMinute: 100 });
    expect(limits.tryOpen("10.0.0.1")).toBe(true);
    expect(limits.tryOpen("10.0.0.1")).toBe(true);
    expect(limits.tryOpen("10.0.0.1")).toBe(false);
    expect(limits.tryOpen("10.0.0.2")).toBe(true);
    limits.closed("10.0.0.1");
    expect(limits.tryOpen("10.0.0.1")).toBe(true);
    expect(limits.counters.refusedConnections).toBe(1);
  });

  test("register requests per address per minute, in a sliding window", () => {
    let now = 1_000_000;
    const limits = new AddressLimits({ maxConnections: 1, registerPerMinute: 3, now: () => now });
    for (let i = 0; i < 3; i++) expect(limits.tryRegister("10.0.0.1")).toBe(true);
    expect(limits.tryRegister("10.0.0.1")).toBe(false);
    expect(limits.tryRegister("10.0.0.2")).toBe(true);
    expect(limits.retryAfterSeconds("10.0.0.1")).toBe(60);
    now += 59_000;
    expect(limits.tryRegister("10.0.0.1")).toBe(false);
    now += 1_000;
    expect(limits.tryRegister("10.0.0.1")).toBe(true);
  });

  test("a scan from many addresses leaves no unbounded state behind", () => {
    let now = 0;
    const limits = new AddressLimits({ maxConnections: 1, registerPerMinute: 1, now: () => now });
    for (let i = 0; i < 5_000; i++) {
      now += 100;
      limits.tryRegister(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    }
    // Only the last minute's addresses (600 at one per 100 ms) plus at most one sweep's lag remain.
    expect(limits.trackedAddresses).toBeLessThan(1_700);
  });
});

/** The app as main.ts builds it, with a token store that knows one token and a fake socket address. */
function appWith(cfg: ServerConfig, adminToken = "admin-token-0123456789") {
  const hub = new ClientHub(cfg, () => {});
  const verified: string[] = [];
  const tokens = {
    verify: async (token: string | undefined) => {
      verified.push(token ?? "");
      return token === "good-token" ? "volunteer" : undefined;
    },
  } as unknown as TokenStore;
  const access = new AccessControl(cfg, adminToken);
  const app = createApp({ config: cfg, hub, tokens, currentCrawl: () => undefined, version: "test", access });
  const from = (address: string) => ({ requestIP: () => ({ address, family: address.includes(":") ? "IPv6" : "IPv4", port: 40000 }) });
  const register = (address: string, token = "good-token") =>
    app.request(
      "/api/register",
      { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "box" }) },
      from(address),
    );
  return { app, hub, access, verified, from, register };
}

describe("middleware on the app", () => {
  test("a denied address gets 403 at register and the socket, before any token lookup", async () => {
    const { app, verified, from, register } = appWith(config({ access: { allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.66.0.0/16"] } }));
    expect((await register("10.1.1.1")).status).toBe(200);
    expect((await register("2001:db8::7")).status).toBe(200);
    const denied = await register("10.66.1.1");
    expect(denied.status).toBe(403);
    expect(await denied.text()).not.toContain("secret-app-id");
    expect((await register("192.0.2.1")).status).toBe(403);
    expect((await register("2001:db9::1")).status).toBe(403);
    const socket = await app.request("/api/work?name=box", { headers: { authorization: "Bearer good-token", upgrade: "websocket" } }, from("192.0.2.1"));
    expect(socket.status).toBe(403);
    expect(verified.length).toBe(2); // only the two allowed requests reached the token store
  });

  test("register is limited per address per minute (429 with retry-after), other addresses unaffected", async () => {
    const { register, verified } = appWith(config({ access: { registerPerMinute: 5 } }));
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await register("10.0.0.1", i % 2 ? "good-token" : "wrong")).status);
    expect(statuses).toEqual([401, 200, 401, 200, 401, 429, 429, 429]);
    expect(verified.length).toBe(5);
    const limited = await register("10.0.0.1");
    expect(limited.headers.get("retry-after")).toBe("60");
    expect((await register("10.0.0.2")).status).toBe(200);
  });

  test("refused work-socket requests are limited per address: over the limit, 429 without a token look-up", async () => {
    const { app, verified, from } = appWith(config({ access: { failedUpgradesPerMinute: 3 } }));
    const socket = (address: string, token = "wrong") =>
      app.request("/api/work?name=box", { headers: { authorization: `Bearer ${token}`, upgrade: "websocket" } }, from(address));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await socket("198.51.100.9")).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    expect(verified.length).toBe(3); // the last three cost no look-up
    const limited = await socket("198.51.100.9", "good-token");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(((await limited.json()) as { error: string }).error).toBe("too many refused work-socket requests from 198.51.100.9; try again in 60 s");
    expect((await socket("198.51.100.10")).status).toBe(401); // another address is not affected
  });

  test("/api/status hides per-client details from strangers; loopback and the admin token see them", async () => {
    const { app, from } = appWith(config());
    const stranger = (await (await app.request("/api/status", {}, from("198.51.100.4"))).json()) as Record<string, unknown>;
    expect(stranger).toHaveProperty("clientsConnected", 0);
    expect(stranger).toHaveProperty("errors");
    expect(stranger).not.toHaveProperty("clients");
    const local = (await (await app.request("/api/status", {}, from("127.0.0.1"))).json()) as Record<string, unknown>;
    expect(local).toHaveProperty("clients");
    const withToken = await app.request("/api/status", { headers: { authorization: "Bearer admin-token-0123456789" } }, from("198.51.100.4"));
    expect(await withToken.json()).toHaveProperty("clients");

    expect((await app.request("/api/admin/status", {}, from("198.51.100.4"))).status).toBe(401);
    const wrong = await app.request("/api/admin/status", { headers: { authorization: "Bearer admin-token-012345678X" } }, from("198.51.100.4"));
    expect(wrong.status).toBe(401);
    const ok = await app.request("/api/admin/status", { headers: { authorization: "Bearer admin-token-0123456789" } }, from("198.51.100.4"));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveProperty("clients");
  });

  test("with trustLoopback off, loopback needs the token too", async () => {
    const { app, from } = appWith(config({ admin: { trustLoopback: false } }));
    expect(await (await app.request("/api/status", {}, from("127.0.0.1"))).json()).not.toHaveProperty("clients");
    expect((await app.request("/api/admin/status", {}, from("::1"))).status).toBe(401);
  });
});

describe("the client's address", () => {
  const behind = (trustedProxies: string[], forwardedHeader: "x-forwarded-for" | "forwarded" = "x-forwarded-for") =>
    new ClientAddressResolver({ trustedProxies, forwardedHeader });

  test("without trusted proxies it is the socket's, normalised, whatever the headers say", () => {
    const resolver = behind([]);
    expect(resolver.resolve("::ffff:198.51.100.7", "203.0.113.1")).toBe("198.51.100.7");
    expect(resolver.resolve("[2001:db8::1]", undefined)).toBe("2001:db8::1");
    expect(resolver.resolve(undefined, "203.0.113.1")).toBe("unknown");
  });

  test("from a trusted proxy: the right-most hop that is not a trusted proxy; what the client wrote further left is not believed", () => {
    const resolver = behind(["127.0.0.1", "10.0.0.0/8"]);
    expect(resolver.resolve("127.0.0.1", "203.0.113.9")).toBe("203.0.113.9");
    expect(resolver.resolve("::ffff:127.0.0.1", "6.6.6.6, 203.0.113.9")).toBe("203.0.113.9");
    expect(resolver.resolve("127.0.0.1", "203.0.113.9, 10.1.1.1")).toBe("203.0.113.9");
    expect(resolver.resolve("127.0.0.1", "203.0.113.9:5123, [2001:db8::5]:443")).toBe("2001:db8::5");
    expect(resolver.resolve("127.0.0.1", "::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(resolver.resolve("127.0.0.1", undefined)).toBe("127.0.0.1");
    // An unreadable hop: the trusted proxy that passed it on is as far as anyone can vouch for
    expect(resolver.resolve("127.0.0.1", "203.0.113.9, garbage, 10.1.1.1")).toBe("10.1.1.1");
    // A socket that is not a trusted proxy is the client, whatever it claims
    expect(resolver.resolve("198.51.100.7", "127.0.0.1")).toBe("198.51.100.7");
    expect(resolver.behindProxy).toBe(true);
  });

  test("with forwardedHeader forwarded, RFC 7239's for= is read", () => {
    const resolver = behind(["127.0.0.1"], "forwarded");
    expect(resolver.resolve("127.0.0.1", 'for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"')).toBe("2001:db8:cafe::17");
    expect(resolver.resolve("127.0.0.1", "for=unknown")).toBe("127.0.0.1");
    expect(resolver.resolve("127.0.0.1", "for=_hidden, for=198.51.100.3")).toBe("198.51.100.3");
  });

  test("on the app: lists, limits and the key choice see the resolved address; loopback behind a proxy is not admin", async () => {
    const cfg = config({ server: { trustedProxies: ["127.0.0.1"] }, access: { deny: ["203.0.113.66"], registerPerMinute: 1 } });
    const { app, from } = appWith(cfg);
    const via = (client: string, path = "/api/register", headers: Record<string, string> = {}) =>
      app.request(
        path,
        path === "/api/register"
          ? { method: "POST", headers: { authorization: "Bearer good-token", "content-type": "application/json", "x-forwarded-for": client, ...headers }, body: JSON.stringify({ name: "box" }) }
          : { headers: { "x-forwarded-for": client, ...headers } },
        from("127.0.0.1"),
      );
    expect((await via("203.0.113.66")).status).toBe(403);
    expect((await via("198.51.100.1")).status).toBe(200);
    expect((await via("198.51.100.1")).status).toBe(429);
    expect((await via("198.51.100.2")).status).toBe(200);
    expect(await (await via("127.0.0.1", "/api/status")).json()).not.toHaveProperty("clients");
    expect(await (await app.request("/api/status", {}, from("127.0.0.1"))).json()).not.toHaveProperty("clients");
  });

  test("a key given to a client by address follows its resolved address (also when the config writes it ::ffff:-mapped)", async () => {
    const cfg = config({
      server: { trustedProxies: ["127.0.0.1"] },
      wg: { keys: [{ applicationId: "their-key", rps: 10, clients: ["::ffff:198.51.100.5"] }, { applicationId: "secret-app-id", rps: 10, clients: ["*"] }] },
    });
    const { app, from } = appWith(cfg);
    const keyFor = async (forwarded: string) => {
      const response = await app.request(
        "/api/register",
        { method: "POST", headers: { authorization: "Bearer good-token", "content-type": "application/json", "x-forwarded-for": forwarded }, body: JSON.stringify({ name: "box" }) },
        from("127.0.0.1"),
      );
      return ((await response.json()) as { applicationId: string }).applicationId;
    };
    expect(await keyFor("198.51.100.5")).toBe("their-key");
    expect(await keyFor("198.51.100.6")).toBe("secret-app-id");
  });

  test("admin by loopback needs a loopback Host: a rebound name is a stranger", async () => {
    const { app, from } = appWith(config());
    const asked = async (host: string) => (await (await app.request("http://x/api/status", { headers: { host } }, from("127.0.0.1"))).json()) as object;
    for (const host of ["localhost:8888", "127.0.0.1:8888", "[::1]:8888", "LOCALHOST"]) expect(await asked(host)).toHaveProperty("clients");
    for (const host of ["evil.example", "evil.example:8888", "127.0.0.1.evil.example", "10.0.0.1:8888"]) expect(await asked(host)).not.toHaveProperty("clients");
    expect(isLoopbackHost(undefined)).toBe(false);
  });
});

describe("database errors on /api/status", () => {
  test("strangers see that the database is in trouble and its code, not its host, port or user; an admin sees the text", async () => {
    const cfg = config();
    const hub = new ClientHub(cfg, () => {});
    let error = 'password authentication failed for user "wotc" (28P01)';
    const status = () => ({
      date: "2026-03-01",
      batches: { failed: 0 },
      errors: {},
      failedBatches: [],
      verification: { tokens: [] },
      dbTrouble: { kind: "blocking", name: "authentication", hint: "the database refused the password; check database.url", error },
    });
    const crawl = { status, counters: {}, clientFigures: () => new Map() } as unknown as Crawl;
    const access = new AccessControl(cfg, "admin-token-0123456789");
    const app = createApp({ config: cfg, hub, tokens: {} as TokenStore, currentCrawl: () => crawl, version: "test", access });
    const stranger = { requestIP: () => ({ address: "198.51.100.4", family: "IPv4", port: 1 }) };
    const seen = async (headers: Record<string, string> = {}) =>
      ((await (await app.request("/api/status", { headers }, stranger)).json()) as { run: { dbTrouble: Record<string, unknown> } }).run.dbTrouble;
    expect(await seen()).toEqual({ kind: "blocking", name: "authentication", hint: "the database refused the password; check database.url", code: "28P01" });
    expect((await seen({ authorization: "Bearer admin-token-0123456789" })).error).toBe(error);
    error = "connect ECONNREFUSED 10.0.0.5:5432 (ECONNREFUSED)";
    expect(await seen()).toMatchObject({ code: "ECONNREFUSED" });
    expect(JSON.stringify(await seen())).not.toContain("10.0.0.5");
    error = "getaddrinfo ENOTFOUND db.internal.example";
    expect(await seen()).toMatchObject({ code: null });
    expect(JSON.stringify(await seen())).not.toContain("db.internal");
  });
});

describe("plain HTTP where others can listen", () => {
  test("the server warns when it listens beyond loopback without TLS, and /api/status shows it", async () => {
    expect(exposureWarnings(config({ server: { host: "0.0.0.0" } }))).toEqual([
      "listening on 0.0.0.0 without TLS: client tokens, the WG keys sent to clients and client downloads travel in clear text; set tls.cert and tls.key, or listen on 127.0.0.1 behind a TLS proxy (server.trustedProxies)",
    ]);
    expect(exposureWarnings(config({ server: { host: "127.0.0.1" } }))).toEqual([]);
    expect(exposureWarnings(config({ server: { host: "::" }, tls: { cert: "c.pem", key: "k.pem" } }))).toEqual([]);
    const { app } = appWith(config({ server: { host: "::" } }));
    const status = (await (await app.request("/api/status")).json()) as { warnings: string[] };
    expect(status.warnings).toHaveLength(1);
    expect(status.warnings[0]).toStartWith("listening on :: without TLS");
  });

  test("the client warns when it talks plain HTTP to another machine", () => {
    expect(plainHttpWarning("http://tracker.example.org:8888")).toStartWith("talking plain HTTP to tracker.example.org:8888: your token and the WG key");
    expect(plainHttpWarning("http://192.0.2.10")).toBeDefined();
    // With its own key the client is given no key to lose on the way
    expect(plainHttpWarning("http://tracker.example.org:8888", true)).toStartWith("talking plain HTTP to tracker.example.org:8888: your token travels unencrypted;");
    for (const quiet of ["https://tracker.example.org", "http://127.0.0.1:8888", "http://localhost:8888", "http://[::1]:8888"]) expect(plainHttpWarning(quiet)).toBeUndefined();
  });
});

describe("admin token", () => {
  test("created once in dataDir with mode 0600, then reused; a configured one wins", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-admin-"));
    try {
      const first = await loadAdminToken(null, dir);
      expect(first.token.length).toBeGreaterThanOrEqual(32);
      expect((await readFile(join(dir, "admin.token"), "utf8")).trim()).toBe(first.token);
      expect((await stat(join(dir, "admin.token"))).mode & 0o777).toBe(0o600);
      expect((await loadAdminToken(null, dir)).token).toBe(first.token);
      expect((await loadAdminToken("configured-token-123", dir)).token).toBe("configured-token-123");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("an unwritable dataDir is reported with the file's path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-admin-"));
    try {
      const blocker = join(dir, "not-a-dir");
      await Bun.write(blocker, "x");
      await expect(loadAdminToken(null, join(blocker, "data"))).rejects.toThrow(`${join(blocker, "data", "admin.token")}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("revocation watch", () => {
  test("disconnects clients whose token is no longer valid; a failed check drops no one", async () => {
    const disconnected: string[] = [];
    const lines: string[] = [];
    let valid = new Set(["a", "b"]);
    let failing = false;
    const watch = new RevocationWatch({
      connected: () => ["a", "b", "a"],
      stillValid: async (names) => {
        if (failing) throw new Error("connection refused");
        return new Set(names.filter((n) => valid.has(n)));
      },
      disconnect: (name) => disconnected.push(name),
      log: (line) => lines.push(line),
    });
    await watch.check();
    expect(disconnected).toEqual([]);
    failing = true;
    valid = new Set();
    await watch.check();
    expect(disconnected).toEqual([]);
    expect(lines.join("\n")).toContain("cannot check tokens");
    failing = false;
    valid = new Set(["b"]);
    await watch.check();
    expect(disconnected).toEqual(["a"]);
  });
});
