/**
 * Open to the internet, checked with real processes: what the operator
 * starts and what a stranger can send. The server, the client and the build
 * script are run as an operator or a volunteer would run them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, spawnProc, startClient } from "../support/processes";
import { ipv6Loopback } from "../support/reverse-proxy";
import { KEY } from "./crawl-support";
import { createTestDatabase } from "../support/db";
import { openWorkSocket, setUpHardened, startHardenedServer } from "./hardening-support";

const SERVER = join(ROOT, "server/src/main.ts");
const dirs: string[] = [];
async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `wotc-exposed-${name}-`));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}, 60_000);

const minimalConfig = {
  server: { host: "127.0.0.1", port: 0 },
  wg: { keys: [{ applicationId: "k", rps: 10, clients: ["*"] }] },
  ranges: { xbox: { min: 5_000, max: 6_000 }, ps: { min: 1_073_740_000, max: 1_073_741_000 } },
};

describe("dataDir is found from the config file, not from where the server was started", () => {
  test("started from another directory, the server keeps its data beside its config and creates nothing where it stands", async () => {
    const site = await tempDir("site");
    const elsewhere = await tempDir("elsewhere");
    await mkdir(join(site, "config"));
    const configPath = join(site, "config", "server.json");
    await writeFile(configPath, JSON.stringify(minimalConfig));
    const db = await createTestDatabase();
    try {
      const server = spawnProc(["bun", SERVER, "--config", configPath, "--date", "2026-03-01"], { DATABASE_URL: db.url }, elsewhere);
      await server.waitFor(/listening on/, 60_000);
      server.kill("SIGTERM");
      await server.exited;
      expect(await Bun.file(join(site, "data", "admin.token")).exists()).toBe(true);
      expect(await readdir(elsewhere)).toEqual([]);
    } finally {
      await db.drop();
    }
  }, 90_000);

  test("a database where the old, working-directory-relative dataDir pointed is not silently left behind", async () => {
    const cwd = await tempDir("moved");
    await mkdir(join(cwd, "data", "postgres"), { recursive: true });
    await mkdir(join(cwd, "deploy", "config"), { recursive: true });
    const configPath = join(cwd, "deploy", "config", "server.json");
    await writeFile(configPath, JSON.stringify(minimalConfig));
    const server = spawnProc(["bun", SERVER, "--config", configPath], {}, cwd);
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain(
      `config.server.dataDir: relative to the config file's directory it is ${join(cwd, "deploy", "data")}, which does not exist, but ${join(cwd, "data")} (relative to the working directory, where it was looked for before) holds a database: set "dataDir": "${join(cwd, "data")}" to keep using it`,
    );
    expect(await Bun.file(join(cwd, "deploy", "data")).exists()).toBe(false);
  }, 30_000);
});

describe("clients.minVersion on the work socket", () => {
  test("a socket opened with an old version (or none) is told the version needed, then closed before it gets work", async () => {
    const setup = await setUpHardened({ seed: 1501, day: "2026-03-01", extra: { clients: { minVersion: "0.3.0" } } });
    const token = await setup.token("probe");
    const { server, url } = await startHardenedServer(setup, "2026-03-01");
    try {
      for (const query of ["&version=0.2.9", ""]) {
        const messages: { type: string; message?: string }[] = [];
        const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/work?name=probe${query}`, { headers: { authorization: `Bearer ${token}` } } as never);
        socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data))));
        const closed = await new Promise<{ code: number; reason: string }>((resolve) => socket.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
        expect(closed).toEqual({ code: 1008, reason: "client version too old" });
        expect(messages.map((m) => m.type)).toEqual(["error"]);
        expect(messages[0]!.message).toContain("this server needs wotc-client 0.3.0 or newer; download it from http://127.0.0.1:");
      }
      const status = (await (await fetch(`${url}/api/status`)).json()) as { clientsConnected: number };
      expect(status.clientsConnected).toBe(0);
    } finally {
      server.kill("SIGTERM");
      await server.exited;
      await setup.cleanup();
    }
  }, 90_000);
});

describe("plain HTTP where others can listen is said out loud", () => {
  test("the server listening on every address without TLS warns at start and on /api/status", async () => {
    const setup = await setUpHardened({ seed: 1502, day: "2026-03-01", server: { host: "0.0.0.0" } });
    const { server, url } = await startHardenedServer(setup, "2026-03-01");
    try {
      await server.waitFor(/WARNING: listening on 0\.0\.0\.0 without TLS: client tokens, the WG keys sent to clients and client downloads travel in clear text/);
      const status = (await (await fetch(`${url}/api/status`)).json()) as { warnings: string[] };
      expect(status.warnings).toEqual([expect.stringContaining("listening on 0.0.0.0 without TLS")]);
    } finally {
      server.kill("SIGTERM");
      await server.exited;
      await setup.cleanup();
    }
  }, 90_000);

  test("the client warns when it talks plain HTTP to another machine", async () => {
    const client = spawnProc(["bun", "client/src/main.ts", "--server", "http://192.0.2.1:9", "--token", "t"]);
    await client.waitFor(/warning: talking plain HTTP to 192\.0\.2\.1:9: your token and the WG key the server gives you travel unencrypted/, 20_000);
    client.kill("SIGTERM");
    await client.exited;
  }, 30_000);
});

test("a WG key that WG rejects (its answer echoes the key) appears in neither the client's nor the server's output", async () => {
  const rejected = "0123456789abcdef0123456789abcdef";
  const setup = await setUpHardened({ seed: 1503, day: "2026-03-01", keys: [{ applicationId: rejected, rps: null, clients: ["*"] }] });
  const token = await setup.token("volunteer");
  const { server, url } = await startHardenedServer(setup, "2026-03-01");
  const client = startClient(url, token, "volunteer-1");
  try {
    await server.waitFor(/could not crawl batch \d+: WG error 407 INVALID_APPLICATION_ID/, 30_000);
    await client.waitFor(/INVALID_APPLICATION_ID/, 30_000);
    // A client from before this fix sends the key in its reason: the server's log leaves it out too
    const old = openWorkSocket(url, token, "old-client");
    expect(await old.opened).toBe(true);
    while (!old.messages.some((m) => m.type === "work")) await Bun.sleep(20);
    const id = old.messages.find((m) => m.type === "work").batches[0].id;
    old.socket.send(JSON.stringify({ type: "failed", id, reason: `WG error 407 INVALID_APPLICATION_ID (field application_id=${rejected})` }));
    await server.waitFor(new RegExp(`client old-client could not crawl batch ${id}: WG error 407 INVALID_APPLICATION_ID \\(field application_id=<application_id>\\)`), 10_000);
    old.socket.close();
  } finally {
    client.kill("SIGTERM");
    await client.exited;
    server.kill("SIGTERM");
    await server.exited;
    await setup.cleanup();
  }
  expect(server.output()).not.toContain(rejected);
  expect(client.output()).not.toContain(rejected);
}, 90_000);

describe("usage errors exit 2 everywhere, saying what was wrong", () => {
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const cases: [string, string[], string][] = [
    ["server: an unknown flag", ["bun", "server/src/main.ts", "--frobnicate"], "Unknown option '--frobnicate'"],
    ["server: a date that is not one", ["bun", "server/src/main.ts", "--date", "2026-02-30"], "--date 2026-02-30: expected a date as YYYY-MM-DD"],
    ["server: a day that has not begun", ["bun", "server/src/main.ts", "--date", tomorrow], `--date ${tomorrow} is in the future`],
    ["server: a token name the store cannot take", ["bun", "server/src/main.ts", "token", "add", "two words"], "token add two words: a name is 1-64 letters"],
    ["server: a token command that does not exist", ["bun", "server/src/main.ts", "token", "frobnicate"], "token takes: add NAME [--trusted] | list | revoke NAME"],
    ["server: a control that does not exist", ["bun", "server/src/main.ts", "ctl", "frobnicate"], "ctl takes one of:"],
    ["client: an unknown flag", ["bun", "client/src/main.ts", "--server", "http://127.0.0.1:9", "--token", "t", "--verbose"], "unknown flag --verbose"],
    ["client: a token file that is not there", ["bun", "client/src/main.ts", "--server", "http://127.0.0.1:9", "--token-file", "/nonexistent/token"], "--token-file: cannot read /nonexistent/token"],
    ["build: an unknown flag", ["bun", "client/build.ts", "--public-key", "x"], "unknown argument --public-key"],
    ["build: no signing key", ["bun", "client/build.ts", "--target", "linux-x64", "--signing-key", "/nonexistent/key.pem"], "no signing key at /nonexistent/key.pem; create it once with --create-key"],
  ];
  for (const [what, argv, message] of cases) {
    test(what, async () => {
      const proc = spawnProc(argv, { WOTC_TOKEN: undefined });
      expect(await proc.exited).toBe(2);
      expect(proc.output()).toContain(message);
    }, 30_000);
  }
});

test.skipIf(!ipv6Loopback())("on a dual-stack listener an IPv4 client is 127.0.0.1, not ::ffff:127.0.0.1, for lists, key choice and logs", async () => {
  const setup = await setUpHardened({
    seed: 1504,
    day: "2026-03-01",
    server: { host: "::" },
    extra: { access: { allow: ["127.0.0.1"] } },
    // The only key is for this address: a client gets it only if the address matches as written
    keys: [{ applicationId: KEY, rps: null, clients: ["127.0.0.1"] }],
  });
  const token = await setup.token("volunteer");
  const { server, url } = await startHardenedServer(setup, "2026-03-01");
  const client = startClient(url, token, "volunteer-1");
  try {
    await server.waitFor(/client volunteer-1 \(127\.0\.0\.1, token \S+\) connected/, 30_000);
    expect(await server.exited).toBe(0);
    expect(await client.exited).toBe(0);
    expect(server.output()).not.toContain("::ffff:");
  } finally {
    if (client.proc.exitCode === null) client.kill("SIGTERM");
    if (server.proc.exitCode === null) server.kill("SIGTERM");
    await setup.cleanup();
  }
}, 90_000);
