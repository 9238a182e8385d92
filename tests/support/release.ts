/**
 * Publishing client builds the way `bun run build:client` does, without the
 * compile: files with any contents, and manifests signed by the build's own
 * code (client/release/). Tests that need real executables compile them
 * (tests/e2e/self-update.test.ts).
 */
import { join } from "node:path";
import type { ClientManifest, ClientTarget, LegacyClientManifest, ManifestEntry } from "@wotc/schema/wire/client-manifest";
import { loadSigningKey, type SigningKey } from "../../client/release/signing-key";
import { publishManifests, signManifest } from "../../client/release/manifest";

export function sha256(bytes: Uint8Array | string): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/** A fresh signing key in `dir` (as `--create-key` makes it). */
export function createKey(dir: string, name = "signing-key.pem"): Promise<SigningKey> {
  return loadSigningKey(join(dir, name), { create: true });
}

export function formatTwo(version: string, sequence: number, targets: ClientManifest["targets"]): ClientManifest {
  return { format: 2, version, sequence, builtAt: new Date().toISOString(), targets };
}

export interface FakeRelease {
  version: string;
  sequence: number;
  /** Contents per target; written as wotc-client-<version>-<target>. */
  files: Partial<Record<ClientTarget, string | Uint8Array>>;
  key: SigningKey;
  /** Also a legacy manifest signed with this key (a transition build). */
  legacyKey?: SigningKey;
}

/** Writes the files and the signed manifest(s) into `dir`; returns the entries as signed. */
export async function publishFake(dir: string, release: FakeRelease): Promise<ClientManifest["targets"]> {
  const targets: Partial<Record<ClientTarget, ManifestEntry>> = {};
  for (const [target, content] of Object.entries(release.files) as [ClientTarget, string | Uint8Array][]) {
    const file = `wotc-client-${release.version}-${target}`;
    await Bun.write(join(dir, file), content);
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    targets[target] = { file, size: bytes.byteLength, sha256: sha256(bytes) };
  }
  const manifest = formatTwo(release.version, release.sequence, targets);
  const legacy: LegacyClientManifest | undefined = release.legacyKey ? { version: release.version, signedAt: manifest.builtAt, targets } : undefined;
  await publishManifests(dir, signManifest(release.key, manifest), legacy && release.legacyKey ? signManifest(release.legacyKey, legacy) : undefined);
  return targets;
}
