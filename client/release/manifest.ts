/**
 * The signed manifests a build publishes, and the sequence number each one
 * carries. The sequence only grows: the build takes one more than the
 * highest it knows of (the counter beside the signing key, and the manifest
 * already in the output directory), so a client can refuse any manifest
 * older than itself, however validly signed.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import {
  ClientManifest,
  LEGACY_MANIFEST_FILE,
  type LegacyClientManifest,
  MANIFEST_FILE,
  SignedManifest,
} from "@wotc/schema/wire/client-manifest";
import { replaceFile } from "../../server/src/replace-file";
import type { SigningKey } from "./signing-key";

export function sequenceFile(keyPath: string): string {
  return `${keyPath}.sequence`;
}

/** What is published in `outDir` now, read without checking its signature (the build machine is trusted). */
export async function publishedManifest(outDir: string): Promise<ClientManifest | undefined> {
  const text = await readFile(join(outDir, MANIFEST_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const envelope = v.parse(SignedManifest, JSON.parse(text));
    return v.parse(ClientManifest, JSON.parse(envelope.manifest));
  } catch {
    return undefined;
  }
}

export async function nextSequence(keyPath: string, published: ClientManifest | undefined): Promise<number> {
  const counted = Number((await readFile(sequenceFile(keyPath), "utf8").catch(() => "0")).trim());
  return Math.max(Number.isSafeInteger(counted) ? counted : 0, published?.sequence ?? 0) + 1;
}

/** On disk before the manifest that uses it, so a crash can skip a number but never reuse one. */
export async function recordSequence(keyPath: string, sequence: number): Promise<void> {
  await replaceFile(sequenceFile(keyPath), `${sequence}\n`, { mode: 0o600 });
}

export function signManifest(key: SigningKey, manifest: ClientManifest | LegacyClientManifest): SignedManifest {
  const text = JSON.stringify(manifest);
  return { manifest: text, signature: key.sign(text), keyId: key.keyId };
}

/**
 * The legacy manifest first, the format-2 one last: the server reads the
 * format-2 manifest as "the build", and a legacy file from an earlier
 * transition build is removed so it cannot point old clients at stale files.
 */
export async function publishManifests(outDir: string, signed: SignedManifest, legacy: SignedManifest | undefined): Promise<string> {
  const legacyPath = join(outDir, LEGACY_MANIFEST_FILE);
  if (legacy) await replaceFile(legacyPath, `${JSON.stringify(legacy, null, 2)}\n`, { mode: 0o644 });
  else await rm(legacyPath, { force: true });
  const path = join(outDir, MANIFEST_FILE);
  await replaceFile(path, `${JSON.stringify(signed, null, 2)}\n`, { mode: 0o644 });
  return path;
}
