/**
 * A tracker behind a reverse proxy on the same machine (tests/support/
 * reverse-proxy.ts), with `server.trustedProxies` naming it: the server sees
 * each client's own address, not the proxy's, for its deny list, its
 * per-address limits and its logs, and loopback is no longer admin. Clients
 * here come from distinct loopback addresses (127.0.0.x, and ::1 for the
 * crawling client), as strangers on the internet would from theirs.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import http from "node:http";
import { setUpHardened, startHardenedServer, type HardenedSetup } from "./hardening-support";
import { ipv6Loopback, startReverseProxy, type ReverseProxy } from "../support/reverse-proxy";
import { startClient, type Proc } from "../support/processes";

const DAY = "2026-03-01";
let setup: HardenedSetup;
let server: Proc;
let direct: string;
let proxy: ReverseProxy;
let token: string;
let adminToken: string;

beforeAll(async () => {
  adminToken = "proxy-test-admin-token-0123456789";
  setup = await setUpHardened({
    seed: 1601,
    day: DAY,
    // ~5 s of crawling, so the client is still connected when its address is looked at
    keyRps: 20,
    sim: { rps: 20 },
    server: { trustedProxies: ["127.0.0.1/32"] },
    extra: { access: { deny: ["127.0.0.66"], registerPerMinute: 3 }, admin: { token: adminToken } },
  });
  token = await setup.token("volunteer");
  const started = await startHardenedServer(setup, DAY);
  server = started.server;
  direct = started.url;
  proxy = startReverseProxy(direct);
}, 90_000);

afterAll(async () => {
  proxy?.stop();
  if (server && server.proc.exitCode === null) server.kill("SIGTERM");
  await server?.exited;
  await setup?.cleanup();
}, 60_000);

/** A request from `from` (a local address of this machine) to `url`, as node:http lets one choose the source address. */
function requestFrom(from: string, url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const target = new URL(url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? "GET", localAddress: from, headers: options.headers },
      (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

const register = (from: string, base = proxy.url, headers: Record<string, string> = {}) =>
  requestFrom(from, `${base}/api/register`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ name: "box", version: "0.1.0" }),
  });

test("per-address limits count each client behind the proxy, not the proxy", async () => {
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await register("127.0.0.2")).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
  const limited = await register("127.0.0.2");
  expect(JSON.parse(limited.body).error).toContain("too many register requests from 127.0.0.2");
  expect((await register("127.0.0.3")).status).toBe(200);
});

test("the deny list matches the client's address, and a forged X-Forwarded-For does not get around it", async () => {
  const denied = await register("127.0.0.66");
  expect(denied.status).toBe(403);
  expect(JSON.parse(denied.body).error).toBe("address 127.0.0.66 is not allowed to use this server");
  expect((await register("127.0.0.66", proxy.url, { "x-forwarded-for": "203.0.113.5" })).status).toBe(403);
});

test("a client that skips the proxy is taken at its socket's address; its X-Forwarded-For is not believed", async () => {
  for (let i = 0; i < 3; i++) expect((await register("127.0.0.4", direct, { "x-forwarded-for": `198.51.100.${i}` })).status).toBe(200);
  const limited = await register("127.0.0.4", direct, { "x-forwarded-for": "198.51.100.99" });
  expect(limited.status).toBe(429);
  expect(JSON.parse(limited.body).error).toContain("from 127.0.0.4");
});

test("with a proxy configured, loopback is no longer admin, through the proxy or not; the admin token is", async () => {
  for (const base of [proxy.url, direct]) {
    const status = JSON.parse((await requestFrom("127.0.0.1", `${base}/api/status`)).body);
    expect(status).toHaveProperty("clientsConnected");
    expect(status).not.toHaveProperty("clients");
    expect((await requestFrom("127.0.0.1", `${base}/api/admin/status`)).status).toBe(401);
  }
  const admin = await requestFrom("127.0.0.2", `${proxy.url}/api/admin/status`, { headers: { authorization: `Bearer ${adminToken}` } });
  expect(admin.status).toBe(200);
});

test.skipIf(!ipv6Loopback())("a real client crawls through the proxy; the server logs and lists it under its own address", async () => {
  const proxy6 = startReverseProxy(direct, "::1");
  let client: Proc | undefined;
  try {
    client = startClient(proxy6.url, token, "volunteer-1");
    await server.waitFor(/client volunteer-1 \(::1, token \S+\) connected/, 30_000);
    const admin = JSON.parse((await requestFrom("127.0.0.1", `${direct}/api/admin/status`, { headers: { authorization: `Bearer ${adminToken}` } })).body);
    expect(admin.clients.map((c: { address: string }) => c.address)).toEqual(["::1"]);
    expect(await server.exited).toBe(0);
    expect(await client.exited).toBe(0);
    expect(client.output()).toMatch(/run 2026-03-01 is complete: \d+ batches done/);
  } finally {
    if (client && client.proc.exitCode === null) client.kill("SIGTERM");
    proxy6.stop();
  }
}, 90_000);
