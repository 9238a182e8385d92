/**
 * The server's catalog of client builds and its two routes, tested through
 * `app.request` on the route alone: what build.json names is hashed, signed
 * and served; a new build is noticed on refresh; unknown targets get a 404.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientCatalog } from "../../server/src/dist/catalog";
import { loadOrCreateSigningKey, type SigningKey } from "../../server/src/dist/signing-key";
import { clientDistRoute } from "../../server/src/routes/client-dist";
import { verifyManifest } from "../../client/src/update/verify";
import { BUILD_RECORD_FILE, MANIFEST_FILE } from "@wotc/schema/wire/client-manifest";

let dir: string;
let key: SigningKey;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wotc-dist-catalog-"));
  key = await loadOrCreateSigningKey(join(dir, "data"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function sha256(bytes: Uint8Array | string): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

async function publish(clients: string, version: string, files: Record<string, string>) {
  const targets: Record<string, string> = {};
  for (const [target, content] of Object.entries(files)) {
    const name = `wotc-client-${version}-${target}`;
    await Bun.write(join(clients, name), content);
    targets[target] = name;
  }
  await Bun.write(join(clients, BUILD_RECORD_FILE), JSON.stringify({ version, builtAt: new Date().toISOString(), targets }));
}

function setUp(name: string) {
  const clients = join(dir, name);
  const lines: string[] = [];
  const catalog = new ClientCatalog({ dir: clients, key, log: (line) => lines.push(line) });
  const app = clientDistRoute({ clientBuilds: catalog });
  return { clients, lines, catalog, app };
}

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

  test("a published build: the manifest lists each file's size and sha256, signed by the server key", async () => {
    const { app, catalog, clients } = setUp("one");
    await publish(clients, "1.0.0", { "linux-x64": "linux bytes", "windows-x64": "windows bytes!" });
    expect((await catalog.refresh())?.version).toBe("1.0.0");

    const response = await app.request("/api/client/manifest");
    expect(response.status).toBe(200);
    const manifest = verifyManifest(await response.json(), key.publicKey);
    expect(manifest.version).toBe("1.0.0");
    expect(manifest.targets).toEqual({
      "linux-x64": { file: "wotc-client-1.0.0-linux-x64", size: 11, sha256: sha256("linux bytes") },
      "windows-x64": { file: "wotc-client-1.0.0-windows-x64", size: 14, sha256: sha256("windows bytes!") },
    });
    // the same signed manifest is on disk for operators and mirrors
    expect(verifyManifest(await Bun.file(join(clients, MANIFEST_FILE)).json(), key.publicKey)).toEqual(manifest);
  });

  test("download: the file itself, with its length, a file name to save it under, and its hash", async () => {
    const { app, catalog, clients } = setUp("download");
    await publish(clients, "1.0.0", { "linux-x64": "linux bytes", "windows-x64": "windows bytes!" });
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
    await publish(clients, "1.0.0", { "linux-x64": "linux bytes" });
    await catalog.refresh();
    for (const target of ["plan9-mips", "darwin-arm64"]) {
      const response = await app.request(`/api/client/download/${target}`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: string; targets: string[] };
      expect(body.targets).toEqual(["linux-x64"]);
      expect(body.error).toContain(target);
    }
  });

  test("a new build.json is noticed on refresh; an unchanged one is not a new build", async () => {
    const { catalog, clients } = setUp("refresh");
    await publish(clients, "1.0.0", { "linux-x64": "one" });
    expect((await catalog.refresh())?.version).toBe("1.0.0");
    expect(await catalog.refresh()).toBeUndefined();
    await publish(clients, "1.0.1", { "linux-x64": "two" });
    const fresh = await catalog.refresh();
    expect(fresh?.version).toBe("1.0.1");
    expect(fresh?.targets.get("linux-x64")?.sha256).toBe(sha256("two"));
  });

  test("a file build.json names but that is missing is reported and left out; a broken build.json keeps the last build", async () => {
    const { catalog, clients, lines } = setUp("missing");
    await publish(clients, "1.0.0", { "linux-x64": "one", "darwin-arm64": "mac" });
    await unlink(join(clients, "wotc-client-1.0.0-darwin-arm64"));
    const published = await catalog.refresh();
    expect([...published!.targets.keys()]).toEqual(["linux-x64"]);
    expect(lines.join("\n")).toContain("names files that do not exist: darwin-arm64 (wotc-client-1.0.0-darwin-arm64)");

    await Bun.write(join(clients, BUILD_RECORD_FILE), "{ not json");
    expect(await catalog.refresh()).toBeUndefined();
    expect(catalog.current()?.version).toBe("1.0.0");
    expect(lines.at(-1)).toContain("is not a valid build record");
  });
});
