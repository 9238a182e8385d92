/** The server's signing key on disk, and the client's check of what it signs. */
import { afterEach, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateSigningKey, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, readPublicKeyFile } from "../../server/src/dist/signing-key";
import { verifyManifest } from "../../client/src/update/verify";
import { UpdateRefused } from "../../client/src/update/errors";
import type { ClientManifest } from "@wotc/schema/wire/client-manifest";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wotc-dist-key-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const MANIFEST: ClientManifest = {
  version: "1.2.3",
  signedAt: "2026-03-01T00:00:00.000Z",
  targets: { "linux-x64": { file: "wotc-client-1.2.3-linux-x64", size: 10, sha256: "a".repeat(64) } },
};

describe("the signing key", () => {
  test("is created on first start with the private key readable by its owner only, and reused after", async () => {
    const dir = await tempDir();
    const lines: string[] = [];
    const first = await loadOrCreateSigningKey(join(dir, "data"), (line) => lines.push(line));
    expect((await stat(join(dir, "data", PRIVATE_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(lines.join("\n")).toContain("created the client signing key");
    expect(await readPublicKeyFile(join(dir, "data", PUBLIC_KEY_FILE))).toBe(first.publicKey);

    const second = await loadOrCreateSigningKey(join(dir, "data"));
    expect(second.keyId).toBe(first.keyId);
    expect(second.publicKey).toBe(first.publicKey);
  });

  test("a private key left readable by others is set back to 600 and the operator is told", async () => {
    const dir = await tempDir();
    await loadOrCreateSigningKey(dir);
    await chmod(join(dir, PRIVATE_KEY_FILE), 0o644);
    const lines: string[] = [];
    await loadOrCreateSigningKey(dir, (line) => lines.push(line));
    expect((await stat(join(dir, PRIVATE_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(lines.join("\n")).toContain("was readable by others");
  });

  test("a file that is not a key is named in the error", async () => {
    const dir = await tempDir();
    await Bun.write(join(dir, PRIVATE_KEY_FILE), "not a key");
    await expect(loadOrCreateSigningKey(dir)).rejects.toThrow(`${join(dir, PRIVATE_KEY_FILE)} is not a PEM private key`);
  });
});

describe("verifying a manifest", () => {
  test("a manifest signed by the trusted key is accepted as signed", async () => {
    const key = await loadOrCreateSigningKey(await tempDir());
    const text = JSON.stringify(MANIFEST);
    expect(verifyManifest({ manifest: text, signature: key.sign(text), keyId: key.keyId }, key.publicKey)).toEqual(MANIFEST);
  });

  test("one changed character in the manifest is refused", async () => {
    const key = await loadOrCreateSigningKey(await tempDir());
    const text = JSON.stringify(MANIFEST);
    const tampered = text.replace('"size":10', '"size":11');
    expect(() => verifyManifest({ manifest: tampered, signature: key.sign(text), keyId: key.keyId }, key.publicKey)).toThrow(
      "the manifest signature does not verify: the signature is wrong",
    );
  });

  test("a manifest signed by another key is refused, naming both keys", async () => {
    const trusted = await loadOrCreateSigningKey(await tempDir());
    const other = await loadOrCreateSigningKey(await tempDir());
    const text = JSON.stringify(MANIFEST);
    const attempt = () => verifyManifest({ manifest: text, signature: other.sign(text), keyId: other.keyId }, trusted.publicKey);
    expect(attempt).toThrow(UpdateRefused);
    expect(attempt).toThrow(`it is signed by key ${other.keyId}, this client trusts key ${trusted.keyId}`);
  });

  test("a malformed envelope or manifest is refused with the field that is wrong", async () => {
    const key = await loadOrCreateSigningKey(await tempDir());
    expect(() => verifyManifest({ manifest: "{}" }, key.publicKey)).toThrow("the manifest is malformed (signature:");
    const bad = JSON.stringify({ ...MANIFEST, targets: { "linux-x64": { ...MANIFEST.targets["linux-x64"], sha256: "xyz" } } });
    expect(() => verifyManifest({ manifest: bad, signature: key.sign(bad), keyId: key.keyId }, key.publicKey)).toThrow(
      "the signed manifest is malformed (targets.linux-x64.sha256:",
    );
  });
});

test("the public key file holds one base64 line that the build script reads back", async () => {
  const dir = await tempDir();
  const key = await loadOrCreateSigningKey(dir);
  expect((await readFile(join(dir, PUBLIC_KEY_FILE), "utf8")).trim()).toBe(key.publicKey);
  await Bun.write(join(dir, "bad.pub"), "AAAA\n");
  await expect(readPublicKeyFile(join(dir, "bad.pub"))).rejects.toThrow("is not an Ed25519 public key");
});
