/**
 * The server's catalog of client builds and its two routes, tested through
 * `app.request` on the route alone: the manifest the build signed is served
 * as written; a new one is noticed on refresh; what was changed on the
 * server's disk yields nothing a client accepts; unknown targets get a 404.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientCatalog } from "../../server/src/client-builds/catalog";
import { startClientDistribution } from "../../server/src/client-builds/distribution";
import { clientDistRoute } from "../../server/src/routes/client-dist";
import { verifyManifest } from "../../client/src/update/verify";
import type { SigningKey } from "../../client/release/signing-key";
import { LEGACY_MANIFEST_FILE, MANIFEST_FILE, OLD_BUILD_RECORD_FILE, type SignedManifest } from "@wotc/schema/wire/client-manifest";
import { createKey, publishFake, sha256 } from "../support/release";

let dir: string;
let key: SigningKey;
let legacyKey: SigningKey;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wotc-client-builds-"));
  key = await createKey(join(dir, "build-machine"));
  legacyKey = await createKey(join(dir, "old-server-data"), "client-signing-key.pem");
}, 60_000);
afterAll(async () => rm(dir, { recursive: true, force: true }), 60_000);

function setUp(name: string) {
  const clients = join(dir, name);
  const lines: string[] = [];
  const catalog = new ClientCatalog({ dir: clients, log: (line) => lines.push(line) });
  const app = clientDistRoute({ clientBuilds: catalog });
  return { clients, lines, catalog, app };
}

const manifestOf = async (app: ReturnType<typeof setUp>["app"], query = "") => (await (await app.request(`/api/client/manifest${query}`)).json()) as SignedManifest;

describe("client builds", () => {
  test("nothing published: both routes answer 404 and the operator is told how to publish", async () => {
    const { app, catalog, lines } = setUp("empty");
    expect(await catalog.refresh()).toBeUndefined();
    expect(lines.join("\n")).toContain("run `bun run build:client`");
    const manifest = await app.request("/api/client/manifest");
    expect(manifest.status).toBe(404);
    expect(((await manifest.json()) as any).error).toContain("distributes no client builds");
    expect((await app.request("/api/client/download/linux-x64")).status).toBe(404);
  });

  test("a published build: the manifest is served exactly as the build signed it", async () => {
    const { app, catalog, clients } = setUp("one");
    await publishFake(clients, { version: "1.0.0", sequence: 3, files: { "linux-x64": "linux bytes", "windows-x64": "windows bytes!" }, key });
    const published = await catalog.refresh();
    expect(published).toMatchObject({ version: "1.0.0", sequence: 3 });

    const response = await app.request("/api/client/manifest?format=2");
    expect(response.status).toBe(200);
    const served = (await response.json()) as SignedManifest;
    expect(served).toEqual(JSON.parse(await readFile(join(clients, MANIFEST_FILE), "utf8")));
    const manifest = verifyManifest(served, key.publicKey);
    expect(manifest).toMatchObject({ format: 2, version: "1.0.0", sequence: 3 });
    expect(manifest.targets).toEqual({
      "linux-x64": { file: "wotc-client-1.0.0-linux-x64", size: 11, sha256: sha256("linux bytes") },
      "windows-x64": { file: "wotc-client-1.0.0-windows-x64", size: 14, sha256: sha256("windows bytes!") },
    });
    // No transition build: the plain path answers format 2 as well
    expect(await manifestOf(app)).toEqual(served);
  });

  test("the server signs nothing: it starts without any key, creates none, and does not sign an old-style build.json", async () => {
    const data = join(dir, "server-data");
    const clients = join(dir, "old-style");
    await mkdir(clients);
    await writeFile(join(clients, "wotc-client-9.9.9-linux-x64"), "evil");
    await writeFile(join(clients, OLD_BUILD_RECORD_FILE), JSON.stringify({ version: "9.9.9", builtAt: "x", targets: { "linux-x64": "wotc-client-9.9.9-linux-x64" } }));
    const lines: string[] = [];
    const distribution = await startClientDistribution({ dataDir: data, clientsDir: clients, log: (l) => lines.push(l), onNewBuild: () => {} });
    distribution.stop();
    expect(distribution.catalog.current()).toBeUndefined();
    expect(lines.join("\n")).toContain(`has a ${OLD_BUILD_RECORD_FILE} but no signed ${MANIFEST_FILE}; this server no longer signs builds`);
    expect(await Bun.file(data).exists()).toBe(false);
    expect((await readdir(clients)).sort()).toEqual([OLD_BUILD_RECORD_FILE, "wotc-client-9.9.9-linux-x64"]);
  });

  test("a manifest changed on the server's disk is served, and no client accepts it", async () => {
    const { app, catalog, clients } = setUp("tampered");
    await publishFake(clients, { version: "1.0.0", sequence: 3, files: { "linux-x64": "good" }, key });
    // What a break-in would do: put its own file there and name it in the manifest, keeping the signature
    await writeFile(join(clients, "evil"), "evil bytes");
    const path = join(clients, MANIFEST_FILE);
    const envelope = JSON.parse(await readFile(path, "utf8")) as SignedManifest;
    const text = envelope.manifest.replace(/"file":"[^"]+","size":\d+,"sha256":"[0-9a-f]+"/, `"file":"evil","size":10,"sha256":"${sha256("evil bytes")}"`);
    expect(text).not.toBe(envelope.manifest);
    await writeFile(path, JSON.stringify({ ...envelope, manifest: text }));
    expect((await catalog.refresh())?.targets.get("linux-x64")?.file).toBe("evil");
    const served = await manifestOf(app, "?format=2");
    expect(() => verifyManifest(served, key.publicKey)).toThrow("the signature is wrong (tampered manifest?)");
  });

  test("a file replaced after signing is not served, and the operator is told which", async () => {
    const { app, catalog, clients, lines } = setUp("replaced");
    await publishFake(clients, { version: "1.0.0", sequence: 3, files: { "linux-x64": "linux", "darwin-arm64": "mac" }, key });
    await writeFile(join(clients, "wotc-client-1.0.0-darwin-arm64"), "MAC");
    const published = await catalog.refresh();
    expect([...published!.targets.keys()]).toEqual(["linux-x64"]);
    expect(lines.join("\n")).toContain("names files that are not as signed: darwin-arm64 (wotc-client-1.0.0-darwin-arm64: its sha256 differs from the signed one)");
    expect((await app.request("/api/client/download/darwin-arm64")).status).toBe(404);
  });

  test("download: the file itself, with its length, a file name to save it under, and its hash", async () => {
    const { app, catalog, clients } = setUp("download");
    await publishFake(clients, { version: "1.0.0", sequence: 1, files: { "linux-x64": "linux bytes", "windows-x64": "windows bytes!" }, key });
    await catalog.refresh();
    const linux = await app.request("/api/client/download/linux-x64");
    expect(linux.status).toBe(200);
    expect(linux.headers.get("content-length")).toBe("11");
    expect(linux.headers.get("content-disposition")).toBe('attachment; filename="wotc-client"');
    expect(linux.headers.get("x-wotc-sha256")).toBe(sha256("linux bytes"));
    expect(await linux.text()).toBe("linux bytes");
    const windows = await app.request("/api/client/download/windows-x64");
    expect(windows.headers.get("content-disposition")).toBe('attachment; filename="wotc-client.exe"');
  });

  test("unknown or unbuilt target: 404 with the list of targets there are", async () => {
    const { app, catalog, clients } = setUp("unknown");
    await publishFake(clients, { version: "1.0.0", sequence: 1, files: { "linux-x64": "linux bytes" }, key });
    await catalog.refresh();
    for (const target of ["plan9-mips", "darwin-arm64"]) {
      const response = await app.request(`/api/client/download/${target}`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: string; targets: string[] };
      expect(body.targets).toEqual(["linux-x64"]);
      expect(body.error).toContain(target);
    }
  });

  test("a newer manifest is noticed on refresh, an unchanged one is not a new build, an older one is not taken up", async () => {
    const { catalog, clients, lines } = setUp("refresh");
    await publishFake(clients, { version: "1.0.0", sequence: 1, files: { "linux-x64": "one" }, key });
    expect((await catalog.refresh())?.version).toBe("1.0.0");
    expect(await catalog.refresh()).toBeUndefined();
    await publishFake(clients, { version: "1.0.1", sequence: 2, files: { "linux-x64": "two" }, key });
    const fresh = await catalog.refresh();
    expect(fresh?.version).toBe("1.0.1");
    expect(fresh?.targets.get("linux-x64")?.sha256).toBe(sha256("two"));
    await publishFake(clients, { version: "1.0.0", sequence: 1, files: { "linux-x64": "one" }, key });
    expect(await catalog.refresh()).toBeUndefined();
    expect(catalog.current()?.version).toBe("1.0.1");
    expect(lines.at(-1)).toContain("has sequence 1, older than the 2 being distributed (clients would refuse it); still distributing 1.0.1");
  });

  test("a missing file is reported and left out; a broken manifest keeps the last build", async () => {
    const { catalog, clients, lines } = setUp("missing");
    await publishFake(clients, { version: "1.0.0", sequence: 1, files: { "linux-x64": "one", "darwin-arm64": "mac" }, key });
    await unlink(join(clients, "wotc-client-1.0.0-darwin-arm64"));
    const published = await catalog.refresh();
    expect([...published!.targets.keys()]).toEqual(["linux-x64"]);
    expect(lines.join("\n")).toContain("darwin-arm64 (wotc-client-1.0.0-darwin-arm64: missing)");

    await Bun.write(join(clients, MANIFEST_FILE), "{ not json");
    expect(await catalog.refresh()).toBeUndefined();
    expect(catalog.current()?.version).toBe("1.0.0");
    expect(lines.at(-1)).toContain("is not a signed manifest");
  });
});

describe("a transition build", () => {
  test("clients that do not ask for format 2 get the legacy manifest, signed by the key they trust", async () => {
    const { app, catalog, clients } = setUp("transition");
    await publishFake(clients, { version: "1.1.0", sequence: 1, files: { "linux-x64": "new" }, key, legacyKey });
    expect((await catalog.refresh())?.legacy).toBeDefined();
    const legacy = await manifestOf(app);
    expect(legacy.keyId).toBe(legacyKey.keyId);
    expect(JSON.parse(legacy.manifest)).toEqual({ version: "1.1.0", signedAt: expect.any(String), targets: { "linux-x64": { file: "wotc-client-1.1.0-linux-x64", size: 3, sha256: sha256("new") } } });
    expect(verifyManifest(await manifestOf(app, "?format=2"), key.publicKey).version).toBe("1.1.0");

    // The next build without --legacy-key removes it: old clients then get format 2 (and refuse it)
    await publishFake(clients, { version: "1.2.0", sequence: 2, files: { "linux-x64": "newer" }, key });
    expect(await Bun.file(join(clients, LEGACY_MANIFEST_FILE)).exists()).toBe(false);
    expect((await catalog.refresh())?.legacy).toBeUndefined();
    expect((await manifestOf(app)).keyId).toBe(key.keyId);
  });

  test("a legacy manifest of another build is not served", async () => {
    const { catalog, clients, lines } = setUp("transition-mismatch");
    await publishFake(clients, { version: "1.1.0", sequence: 1, files: { "linux-x64": "new" }, key, legacyKey });
    const legacy = await readFile(join(clients, LEGACY_MANIFEST_FILE), "utf8");
    await publishFake(clients, { version: "1.2.0", sequence: 2, files: { "linux-x64": "newer" }, key });
    await writeFile(join(clients, LEGACY_MANIFEST_FILE), legacy);
    expect((await catalog.refresh())?.legacy).toBeUndefined();
    expect(lines.join("\n")).toContain("describes another build than manifest.json (1.1.0, not 1.2.0)");
  });

  test("a signing key left in the server's data directory is pointed out at start", async () => {
    const lines: string[] = [];
    const distribution = await startClientDistribution({ dataDir: join(dir, "old-server-data"), clientsDir: join(dir, "none"), log: (l) => lines.push(l), onNewBuild: () => {} });
    distribution.stop();
    expect(lines[0]).toContain("client-signing-key.pem is the key clients from before format 2 trust; this server no longer uses it");
  });
});
