/**
 * The client-build manifest, the one shape the build script, the server that
 * signs it and the client that verifies it all share.
 *
 * The server signs the manifest's exact JSON text and sends that text along
 * with the signature, so the client verifies the bytes it was given instead of
 * a re-serialisation that might differ in key order or spacing.
 *
 * (A shape both sides use belongs in schema/; it lives here until the schema
 * owners move it, see the issue 5 note.)
 */
import * as v from "valibot";

export const CLIENT_TARGETS = ["linux-x64", "linux-arm64", "windows-x64", "darwin-arm64", "darwin-x64"] as const;
export type ClientTarget = (typeof CLIENT_TARGETS)[number];

export function isClientTarget(name: string): name is ClientTarget {
  return (CLIENT_TARGETS as readonly string[]).includes(name);
}

/** The file name a volunteer keeps on disk (and gets from the download route). */
export function executableName(target: ClientTarget): string {
  return target.startsWith("windows-") ? "wotc-client.exe" : "wotc-client";
}

/** Versions travel in the register request too, which takes at most 64 characters. */
export const ClientVersion = v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.regex(/^[\w.+-]+$/, "letters, digits and . + - _ only"));

const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "a sha256 in lower-case hex"));

export const ManifestEntry = v.strictObject({
  /** Name of the published file (for people; clients download by target). */
  file: v.pipe(v.string(), v.minLength(1)),
  size: v.pipe(v.number(), v.integer(), v.minValue(1)),
  sha256: sha256Hex,
});
export type ManifestEntry = v.InferOutput<typeof ManifestEntry>;

export const ClientManifest = v.strictObject({
  version: ClientVersion,
  /** When the server signed it (ISO 8601). */
  signedAt: v.string(),
  targets: v.record(v.picklist(CLIENT_TARGETS), ManifestEntry),
});
export type ClientManifest = v.InferOutput<typeof ClientManifest>;

/** What `GET /api/client/manifest` answers. */
export const SignedManifest = v.strictObject({
  /** ClientManifest as JSON text: the exact bytes that were signed. */
  manifest: v.pipe(v.string(), v.maxLength(64 * 1024)),
  /** Ed25519 signature of `manifest` (UTF-8), base64. */
  signature: v.pipe(v.string(), v.maxLength(200)),
  /** Fingerprint of the signing key, so a mismatch can be named. */
  keyId: v.pipe(v.string(), v.maxLength(100)),
});
export type SignedManifest = v.InferOutput<typeof SignedManifest>;

/**
 * `dist/clients/build.json`, written last by `bun run build:client`: which
 * file is the current build of each target. Files are named by version and
 * never overwritten, so the server never hashes a half-written build.
 */
export const BuildRecord = v.strictObject({
  version: ClientVersion,
  builtAt: v.string(),
  /** File name inside the clients directory, per target that compiled. */
  targets: v.record(v.picklist(CLIENT_TARGETS), v.pipe(v.string(), v.regex(/^[^/\\]+$/, "a file name without a directory"))),
});
export type BuildRecord = v.InferOutput<typeof BuildRecord>;

export const BUILD_RECORD_FILE = "build.json";
export const MANIFEST_FILE = "manifest.json";

/** Short, stable name of a public key (SPKI DER, base64): the first 16 hex digits of its sha256. */
export function keyFingerprint(publicKeyBase64: string): string {
  return new Bun.CryptoHasher("sha256").update(Buffer.from(publicKeyBase64, "base64")).digest("hex").slice(0, 16);
}
