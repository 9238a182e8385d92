/**
 * The client's self-update against a fake server, with small Bun scripts
 * standing in for compiled builds (they answer the self-check, say "started"
 * over IPC and record how they were run). What a volunteer would check: which
 * file is on disk afterwards, whether the new build ran, what was logged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SigningKey } from "../../client/release/signing-key";
import { signManifest } from "../../client/release/manifest";
import { createKey, formatTwo, sha256 } from "../support/release";
import { SelfUpdater } from "../../client/src/update/updater";
import { runUpdatingClient } from "../../client/src/update/run-updating";
import { downloadBuild } from "../../client/src/update/download";
import { UpdateFailed } from "../../client/src/update/errors";
import { type CompiledBuild, describeSelf } from "../../client/src/update/build-info";
import type { Logger } from "../../client/src/log";

let root: string;
let trusted: SigningKey;
let other: SigningKey;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "wotc-dist-update-"));
  trusted = await createKey(join(root, "trusted"));
  other = await createKey(join(root, "other"));
}, 60_000);
afterAll(async () => rm(root, { recursive: true, force: true }), 60_000);

/** A stand-in for a compiled client: `behaviour` "ok" runs and says started, "crash" dies at start, "broken" fails even the self-check. */
function fakeBuild(version: string, behaviour: "ok" | "crash" | "broken" = "ok", keyId = trusted.keyId, sequence = sequenceOf(version)): string {
  return `#!/usr/bin/env bun
const self = { version: ${JSON.stringify(version)}, target: "linux-x64", keyId: ${JSON.stringify(keyId)}, sequence: ${sequence} };
if (${JSON.stringify(behaviour)} === "broken") process.exit(1);
if (process.env.WOTC_SELF_CHECK) { console.log(JSON.stringify(self)); process.exit(0); }
if (${JSON.stringify(behaviour)} === "crash") process.exit(3);
process.send?.({ type: "wotc-started", version: self.version });
await Bun.write(process.argv[1] + ".ran", JSON.stringify({ version: self.version, args: process.argv.slice(2), from: process.env.WOTC_UPDATED_FROM }));
process.exit(0);
`;
}

/** In these tests version N.0.0 was published with sequence N. */
function sequenceOf(version: string): number {
  return Number(version.split(".")[0]);
}

interface FakeServer {
  url: string;
  downloads: number;
  manifestQueries: string[];
  stop(): void;
}

/** Serves `build` as the linux-x64 client, signed by `signer`; `body` may differ from what is signed. */
function serveBuild(
  build: string,
  options: {
    signer?: SigningKey;
    body?: (bytes: Uint8Array) => ConstructorParameters<typeof Response>[0];
    version?: string;
    sequence?: number;
    /** While it says true, the server distributes nothing (404). */
    hidden?: { now: boolean };
  } = {},
): FakeServer {
  const bytes = new TextEncoder().encode(build);
  const version = options.version ?? "2.0.0";
  const signed = signManifest(
    options.signer ?? trusted,
    formatTwo(version, options.sequence ?? sequenceOf(version), { "linux-x64": { file: "wotc-client", size: bytes.byteLength, sha256: sha256(bytes) } }),
  );
  const state = { downloads: 0, manifests: [] as string[] };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/api/client/manifest") {
        if (options.hidden?.now) return Response.json({ error: "no builds" }, { status: 404 });
        state.manifests.push(new URL(request.url).search);
        return Response.json(signed);
      }
      if (path === "/api/client/download/linux-x64") {
        state.downloads++;
        return new Response(options.body ? options.body(bytes) : bytes);
      }
      return new Response("no", { status: 404 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    get downloads() {
      return state.downloads;
    },
    get manifestQueries() {
      return state.manifests;
    },
    stop: () => server.stop(true),
  };
}

const servers: FakeServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
}, 60_000);

async function installed(version: string): Promise<{ build: CompiledBuild; exe: string; dir: string }> {
  const dir = join(root, `volunteer-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir);
  const exe = join(dir, "wotc-client");
  await Bun.write(exe, fakeBuild(version));
  await Bun.spawn(["chmod", "755", exe]).exited;
  return { dir, exe, build: { version, target: "linux-x64", publicKey: trusted.publicKey, keyId: trusted.keyId, sequence: sequenceOf(version), executable: exe } };
}

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: { info: (l) => lines.push(`info ${l}`), warn: (l) => lines.push(`warn ${l}`), error: (l) => lines.push(`error ${l}`) } };
}

function updater(server: FakeServer, build: CompiledBuild, log: Logger) {
  const fake = servers.includes(server) ? server : (servers.push(server), server);
  return new SelfUpdater({ server: fake.url, build, log });
}

describe("self-update", () => {
  test("the server distributes this very build: nothing is downloaded", async () => {
    const { build, exe } = await installed("1.0.0");
    const server = serveBuild(await readFile(exe, "utf8"), { version: "1.0.0" });
    const { log, lines } = capture();
    expect(await updater(server, build, log).check("at start")).toBeUndefined();
    expect(server.downloads).toBe(0);
    expect(lines).toContain("info update: 1.0.0 is the build the server distributes");
  });

  test("a manifest older than this build is refused before anything is downloaded or run", async () => {
    const { build, exe } = await installed("3.0.0");
    const server = serveBuild(fakeBuild("2.0.0"));
    const { log, lines } = capture();
    expect(await updater(server, build, log).check("at start")).toBeUndefined();
    expect(server.downloads).toBe(0);
    expect(lines).toContain(
      "error update: refused the server's manifest: its sequence 2 is older than this build's 3 (an old manifest replayed?); staying on 3.0.0",
    );
    expect(await readFile(exe, "utf8")).toBe(fakeBuild("3.0.0"));
  });

  test("a newer sequence with an older version is refused too: versions never go back", async () => {
    const { build } = await installed("3.0.0");
    const server = serveBuild(fakeBuild("2.9.0", "ok", trusted.keyId, 4), { version: "2.9.0", sequence: 4 });
    const { log, lines } = capture();
    expect(await updater(server, build, log).check("at start")).toBeUndefined();
    expect(server.downloads).toBe(0);
    expect(lines.join("\n")).toContain("it offers version 2.9.0, older than this build's 3.0.0");
  });

  test("once served a manifest, the client does not accept an older one from the same server later", async () => {
    const { build } = await installed("1.0.0");
    const newer = serveBuild(fakeBuild("3.0.0", "broken"), { version: "3.0.0" });
    const older = serveBuild(fakeBuild("2.0.0"));
    servers.push(newer, older);
    // One server address; what answers behind it changes, as it would for a man in the middle
    let behind = newer;
    const { log, lines } = capture();
    const self = new SelfUpdater({
      server: "http://tracker.invalid",
      build,
      log,
      fetch: ((url: string, init?: RequestInit) => fetch(url.replace("http://tracker.invalid", behind.url), init)) as typeof fetch,
    });
    expect(await self.check("at start")).toBeUndefined(); // 3.0.0 is refused by its self-check
    expect(newer.manifestQueries).toEqual(["?format=2"]);
    behind = older;
    expect(await self.check("after registering")).toBeUndefined();
    expect(older.downloads).toBe(0);
    expect(lines.join("\n")).toContain("its sequence 2 is older than the 3 this client was served before (an old manifest replayed?)");
  });

  test("a new build is verified, replaces the file, runs with the same arguments, and no backup is left", async () => {
    const { build, exe, dir } = await installed("1.0.0");
    const next = fakeBuild("2.0.0");
    const server = serveBuild(next);
    const { log, lines } = capture();
    const self = updater(server, build, log);
    const staged = await self.check("at start");
    expect(staged?.version).toBe("2.0.0");
    expect(await readFile(exe, "utf8")).toBe(fakeBuild("1.0.0")); // nothing replaced before install()
    const outcome = await self.install(["--server", "http://x", "--token", "t"]);
    expect(outcome).toEqual({ kind: "exited", code: 0 });
    expect(await readFile(exe, "utf8")).toBe(next);
    expect(JSON.parse(await readFile(`${exe}.ran`, "utf8"))).toEqual({ version: "2.0.0", args: ["--server", "http://x", "--token", "t"], from: "1.0.0" });
    await Bun.sleep(50); // the backup is removed once the successor says it started
    expect((await readdir(dir)).sort()).toEqual(["wotc-client", "wotc-client.ran"]);
    expect(lines.some((l) => l.includes("2.0.0 is running"))).toBe(true);
  });

  test("a download with one byte changed is refused, the old file stays, and it is not fetched again", async () => {
    const { build, exe, dir } = await installed("1.0.0");
    const server = serveBuild(fakeBuild("2.0.0"), { body: (bytes) => bytes.map((b, i) => (i === 40 ? b ^ 1 : b)) });
    const { log, lines } = capture();
    const self = updater(server, build, log);
    expect(await self.check("at start")).toBeUndefined();
    expect(lines.find((l) => l.startsWith("error"))).toContain("refused 2.0.0: sha256 mismatch");
    expect(await readFile(exe, "utf8")).toBe(fakeBuild("1.0.0"));
    expect(await readdir(dir)).toEqual(["wotc-client"]);
    expect(await self.check("the server announced 2.0.0")).toBeUndefined();
    expect(server.downloads).toBe(1);
  });

  test("a manifest signed by another key is refused before anything is downloaded", async () => {
    const { build, exe } = await installed("1.0.0");
    const server = serveBuild(fakeBuild("2.0.0"), { signer: other });
    const { log, lines } = capture();
    expect(await updater(server, build, log).check("at start")).toBeUndefined();
    expect(server.downloads).toBe(0);
    expect(lines).toContain(
      `error update: refused the server's manifest: the manifest signature does not verify: it is signed by key ${other.keyId}, this client trusts key ${trusted.keyId}; staying on 1.0.0`,
    );
    expect(await readFile(exe, "utf8")).toBe(fakeBuild("1.0.0"));
  });

  test("a download cut off half-way is refused, its partial file removed, and tried again later", async () => {
    const { build, exe, dir } = await installed("1.0.0");
    const next = new TextEncoder().encode(fakeBuild("2.0.0"));
    const server = serveBuild(fakeBuild("2.0.0"));
    // The real download goes through a socket that announces every byte and closes after 100
    const cut = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket) {
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${next.byteLength}\r\nconnection: close\r\n\r\n`);
          socket.write(next.slice(0, 100));
          socket.end();
        },
      },
    });
    const { log, lines } = capture();
    const self = new SelfUpdater({
      server: server.url,
      build,
      log,
      fetch: ((url: string, init?: RequestInit) =>
        fetch(url.includes("/download/") ? `http://127.0.0.1:${cut.port}/` : url, init)) as typeof fetch,
    });
    try {
      expect(await self.check("at start")).toBeUndefined();
      expect(lines.find((l) => l.startsWith("warn"))).toMatch(new RegExp(`the download broke off after \\d+ of ${next.byteLength} bytes`));
      expect(lines.find((l) => l.startsWith("warn"))).toContain("staying on 1.0.0, will try again later (2 more)");
      expect(await readdir(dir)).toEqual(["wotc-client"]);
      expect(await readFile(exe, "utf8")).toBe(fakeBuild("1.0.0"));
      await self.check("after registering");
      expect(lines.filter((l) => l.includes("broke off")).length).toBe(2);
    } finally {
      cut.stop(true);
      server.stop();
    }
  });

  test("a build that fails its self-check is refused, remembered on disk, and not downloaded by a restarted client", async () => {
    const { build, exe } = await installed("1.0.0");
    const server = serveBuild(fakeBuild("2.0.0", "broken"));
    const first = capture();
    expect(await updater(server, build, first.log).check("at start")).toBeUndefined();
    expect(first.lines.find((l) => l.startsWith("error"))).toContain("refused 2.0.0: the new build does not start (exit code 1)");
    const second = capture();
    expect(await updater(server, build, second.log).check("at start")).toBeUndefined();
    expect(server.downloads).toBe(1);
    expect(second.lines.join("\n")).toContain("2.0.0 failed to start on this machine before");
    expect(await readFile(exe, "utf8")).toBe(fakeBuild("1.0.0"));
  });

  test("a build that trusts another key is refused: it could never update again", async () => {
    const { build, exe } = await installed("1.0.0");
    const server = serveBuild(fakeBuild("2.0.0", "ok", other.keyId));
    const { log, lines } = capture();
    expect(await updater(server, build, log).check("at start")).toBeUndefined();
    expect(lines.find((l) => l.startsWith("error"))).toContain(`the new build trusts key ${other.keyId}`);
    expect(await readFile(exe, "utf8")).toBe(fakeBuild("1.0.0"));
  });

  test("a build that passes its self-check but dies at start is rolled back and never tried again", async () => {
    const { build, exe, dir } = await installed("1.0.0");
    const server = serveBuild(fakeBuild("2.0.0", "crash"));
    const { log, lines } = capture();
    const self = updater(server, build, log);
    expect(await self.check("at start")).toBeDefined();
    const outcome = await self.install([]);
    expect(outcome.kind).toBe("kept");
    expect(await readFile(exe, "utf8")).toBe(fakeBuild("1.0.0"));
    expect(lines.find((l) => l.startsWith("error"))).toContain("2.0.0 failed to start (it exited (exit code 3) before it was running); 1.0.0 is back in place");
    expect(await self.check("the server announced 2.0.0")).toBeUndefined();
    expect(await updater(server, build, log).check("at start")).toBeUndefined();
    expect(server.downloads).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([".wotc-client.rejected", "wotc-client"]);
  });
});

test("a full disk: the download is refused with the reason and the partial file is removed", async () => {
  const dir = await mkdtemp(join(root, "disk-"));
  const destination = join(dir, "staged");
  const bytes = new Uint8Array(300_000).fill(7);
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(bytes) });
  try {
    let written = 0;
    const attempt = downloadBuild({
      url: `http://127.0.0.1:${server.port}/`,
      destination,
      size: bytes.byteLength,
      sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex"),
      async openFile(path) {
        await Bun.write(path, "partial");
        return {
          async write(_data, _offset, length) {
            if (written + length > 100_000) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
            written += length;
            return { bytesWritten: length };
          },
          sync: async () => {},
          close: async () => {},
        };
      },
    });
    await expect(attempt).rejects.toThrow(UpdateFailed);
    await expect(attempt).rejects.toThrow(`no space left on the disk for ${destination} (the build needs 0.3 MB)`);
    expect(await readdir(dir)).toEqual([]);
  } finally {
    server.stop(true);
  }
});

test("a build describes itself to a format-2 predecessor in full, and to an older one with the key that one trusts", () => {
  const build: CompiledBuild = { version: "2.0.0", target: "linux-x64", publicKey: trusted.publicKey, keyId: trusted.keyId, sequence: 2, executable: "/x", legacyKeyId: "0123456789abcdef" };
  expect(JSON.parse(describeSelf(build, "2"))).toEqual({ version: "2.0.0", target: "linux-x64", keyId: trusted.keyId, sequence: 2 });
  expect(JSON.parse(describeSelf(build, "1"))).toEqual({ version: "2.0.0", target: "linux-x64", keyId: "0123456789abcdef" });
  const { legacyKeyId: _, ...plain } = build;
  expect(JSON.parse(describeSelf(plain, "1"))).toEqual({ version: "2.0.0", target: "linux-x64", keyId: trusted.keyId });
});

test("refused as too old by the server, a compiled client updates to the build the server distributes and runs it", async () => {
  const { build, exe } = await installed("1.0.0");
  const hidden = { now: true }; // nothing to update to at start: the refusal is what makes it look again
  const server = serveBuild(fakeBuild("2.0.0"), { hidden });
  servers.push(server);
  const { log, lines } = capture();
  const runs: string[] = [];
  const code = await runUpdatingClient({
    args: { server: server.url, token: "t", name: "volunteer" },
    argv: ["--server", server.url, "--token", "t"],
    signal: new AbortController().signal,
    log,
    build,
    run: async (options) => {
      runs.push(`${options.version} ${options.target}`);
      hidden.now = false; // the operator published 2.0.0 and set clients.minVersion to it
      return { code: 1, reason: "outdated", message: "wotc-client 1.0.0 is too old: this server needs wotc-client 2.0.0 or newer", minVersion: "2.0.0" };
    },
  });
  expect(code).toBe(0);
  expect(runs).toEqual(["1.0.0 linux-x64"]);
  expect(lines).toContain("info update: the server needs 2.0.0 or newer: the server distributes 2.0.0, this is 1.0.0; downloading 0.0 MB");
  expect(await readFile(exe, "utf8")).toBe(fakeBuild("2.0.0"));
  expect(JSON.parse(await readFile(`${exe}.ran`, "utf8"))).toMatchObject({ version: "2.0.0", from: "1.0.0" });
});

test("refused as too old with nothing newer to install, it stops and says so", async () => {
  const { build, exe } = await installed("1.0.0");
  const server = serveBuild(await readFile(exe, "utf8"), { version: "1.0.0" });
  servers.push(server);
  const { log, lines } = capture();
  const code = await runUpdatingClient({
    args: { server: server.url, token: "t", name: "volunteer" },
    argv: [],
    signal: new AbortController().signal,
    log,
    build,
    run: async () => ({ code: 1, reason: "outdated", message: "too old", minVersion: "2.0.0" }),
  });
  expect(code).toBe(1);
  expect(lines.at(-1)).toBe("error update: no newer build to install from the server; download it by hand (see above)");
});
