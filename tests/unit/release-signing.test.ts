/** The build's signing key on disk, the sequence it numbers manifests with, and the client's check of what it signs. */
import { afterEach, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSigningKey, publicKeyPath, SigningKeyError } from "../../client/release/signing-key";
import { nextSequence, publishedManifest, recordSequence, sequenceFile, signManifest } from "../../client/release/manifest";
import { verifyManifest } from "../../client/src/update/verify";
import { UpdateRefused } from "../../client/src/update/errors";
import type { ClientManifest } from "@wotc/schema/wire/client-manifest";
import { createKey, publishFake } from "../support/release";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wotc-release-key-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}, 60_000);

const MANIFEST: ClientManifest = {
  format: 2,
  version: "1.2.3",
  sequence: 7,
  builtAt: "2026-03-01T00:00:00.000Z",
  targets: { "linux-x64": { file: "wotc-client-1.2.3-linux-x64", size: 10, sha256: "a".repeat(64) } },
};

describe("the signing key", () => {
  test("a build without a key stops and says how to make one; it never makes one by itself", async () => {
    const path = join(await tempDir(), "keys", "signing.pem");
    const attempt = loadSigningKey(path);
    await expect(attempt).rejects.toThrow(SigningKeyError);
    await expect(attempt).rejects.toThrow(`no signing key at ${path}; create it once with --create-key`);
    expect(await Bun.file(path).exists()).toBe(false);
  });

  test("--create-key makes it readable by its owner only, with the public key beside it, and it is reused after", async () => {
    const path = join(await tempDir(), "keys", "signing.pem");
    const lines: string[] = [];
    const first = await loadSigningKey(path, { create: true, log: (line) => lines.push(line) });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(lines.join("\n")).toContain(`created the signing key ${path} (mode 600)`);
    expect((await readFile(publicKeyPath(path), "utf8")).trim()).toBe(first.publicKey);

    const second = await loadSigningKey(path, { create: true });
    expect(second.keyId).toBe(first.keyId);
    expect(second.publicKey).toBe(first.publicKey);
  });

  test("a key left readable by others is set back to 600 and the operator is told it may have leaked", async () => {
    const dir = await tempDir();
    const key = await createKey(dir);
    await chmod(key.path, 0o644);
    const lines: string[] = [];
    await loadSigningKey(key.path, { log: (line) => lines.push(line) });
    expect((await stat(key.path)).mode & 0o777).toBe(0o600);
    expect(lines.join("\n")).toContain("was readable by others (mode 644); set it to 600 (if others could read it, it may have leaked)");
  });

  test("a file that is not a key is named in the error", async () => {
    const path = join(await tempDir(), "not-a-key.pem");
    await Bun.write(path, "not a key");
    await expect(loadSigningKey(path, { role: "legacy key" })).rejects.toThrow(`the legacy key ${path} is not a PEM private key`);
  });
});

describe("the sequence", () => {
  test("one more than the counter beside the key or the manifest already published, whichever is higher", async () => {
    const dir = await tempDir();
    const key = await createKey(dir);
    expect(await nextSequence(key.path, undefined)).toBe(1);
    await recordSequence(key.path, 4);
    expect((await stat(sequenceFile(key.path))).mode & 0o777).toBe(0o600);
    expect(await nextSequence(key.path, undefined)).toBe(5);
    const out = join(dir, "out");
    await publishFake(out, { version: "1.0.0", sequence: 9, files: { "linux-x64": "x" }, key });
    const published = await publishedManifest(out);
    expect(published?.sequence).toBe(9);
    expect(await nextSequence(key.path, published)).toBe(10);
  });
});

describe("verifying a manifest", () => {
  test("a manifest signed by the trusted key is accepted as signed", async () => {
    const key = await createKey(await tempDir());
    expect(verifyManifest(signManifest(key, MANIFEST), key.publicKey)).toEqual(MANIFEST);
  });

  test("one changed character in the manifest is refused", async () => {
    const key = await createKey(await tempDir());
    const signed = signManifest(key, MANIFEST);
    const tampered = { ...signed, manifest: signed.manifest.replace('"sequence":7', '"sequence":8') };
    expect(() => verifyManifest(tampered, key.publicKey)).toThrow("the manifest signature does not verify: the signature is wrong");
  });

  test("a manifest signed by another key is refused, naming both keys", async () => {
    const trusted = await createKey(await tempDir());
    const other = await createKey(await tempDir());
    const attempt = () => verifyManifest(signManifest(other, MANIFEST), trusted.publicKey);
    expect(attempt).toThrow(UpdateRefused);
    expect(attempt).toThrow(`it is signed by key ${other.keyId}, this client trusts key ${trusted.keyId}`);
  });

  test("a legacy-format manifest, even validly signed, is not read as format 2", async () => {
    const key = await createKey(await tempDir());
    const legacy = signManifest(key, { version: "1.2.3", signedAt: MANIFEST.builtAt, targets: MANIFEST.targets });
    expect(() => verifyManifest(legacy, key.publicKey)).toThrow("the signed manifest is in the legacy format, not format 2");
  });

  test("a malformed envelope or manifest is refused with the field that is wrong", async () => {
    const key = await createKey(await tempDir());
    expect(() => verifyManifest({ manifest: "{}" }, key.publicKey)).toThrow("the manifest is malformed (signature:");
    const bad = { ...MANIFEST, targets: { "linux-x64": { ...MANIFEST.targets["linux-x64"]!, sha256: "xyz" } } };
    expect(() => verifyManifest(signManifest(key, bad), key.publicKey)).toThrow("the signed manifest is malformed (targets.linux-x64.sha256:");
    const noSequence = { ...MANIFEST, sequence: 0 };
    expect(() => verifyManifest(signManifest(key, noSequence), key.publicKey)).toThrow("the signed manifest is malformed (sequence:");
  });

  test("a field a later build adds does not make the manifest unreadable", async () => {
    const key = await createKey(await tempDir());
    const later = { ...MANIFEST, notes: "added by a later build" };
    expect(verifyManifest(signManifest(key, later as ClientManifest), key.publicKey)).toEqual(MANIFEST);
  });
});
