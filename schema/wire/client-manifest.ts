/**
 * The client-build manifest, the one shape the build script that signs it,
 * the server that serves it and the client that verifies it all share.
 *
 * The build signs the manifest's exact JSON text and the server sends that
 * text along with the signature, so the client verifies the bytes that were
 * signed instead of a re-serialisation that might differ in key order or
 * spacing. The server never signs: it serves what the build wrote.
 *
 * Two formats travel in the same envelope. Format 2 (`ClientManifest`) has a
 * `sequence` that only grows, so a client can refuse an older manifest
 * replayed at it. The legacy format (`LegacyClientManifest`, what clients
 * before format 2 verify, signed by the key the server used to hold) is only
 * written by a transition build (`--legacy-key`), so those clients can update
 * once to a build that reads format 2; see README "Migrating from
 * server-signed builds".
 */
import * as v from "valibot";
import { parseVersion, VERSION_FORMAT } from "./client-version";

export const CLIENT_TARGETS = ["linux-x64", "linux-arm64", "windows-x64", "darwin-arm64", "darwin-x64"] as const;
export type ClientTarget = (typeof CLIENT_TARGETS)[number];

export function isClientTarget(name: string): name is ClientTarget {
  return (CLIENT_TARGETS as readonly string[]).includes(name);
}

/** The target a machine runs (for a client running from source, which has none built in). */
export function targetOf(platform: string, arch: string): ClientTarget | undefined {
  const name = `${platform === "win32" ? "windows" : platform}-${arch}`;
  return isClientTarget(name) ? name : undefined;
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

/**
 * What clients before format 2 verify, exactly: a strict object, so not one
 * field can be added to it. Signed by the legacy key in a transition build.
 */
export const LegacyClientManifest = v.strictObject({
  version: ClientVersion,
  /** When it was signed (ISO 8601). */
  signedAt: v.string(),
  targets: v.record(v.picklist(CLIENT_TARGETS), ManifestEntry),
});
export type LegacyClientManifest = v.InferOutput<typeof LegacyClientManifest>;

export const MANIFEST_FORMAT = 2;

/**
 * Format 2. Unknown fields are dropped, not refused, so a later build may add
 * one without stranding the clients before it; a change they must not
 * misread raises `format` instead.
 */
export const ClientManifest = v.object({
  format: v.literal(MANIFEST_FORMAT),
  /** Compared with the client's own: a client never installs an older version. */
  version: v.pipe(ClientVersion, v.check((text) => parseVersion(text) !== undefined, `expected ${VERSION_FORMAT}`)),
  /** Grows by at least one with every build signed by a key; a client never accepts one below its own. */
  sequence: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER)),
  /** When the build signed it (ISO 8601). */
  builtAt: v.string(),
  targets: v.record(v.picklist(CLIENT_TARGETS), ManifestEntry),
});
export type ClientManifest = v.InferOutput<typeof ClientManifest>;

/** What `GET /api/client/manifest` answers, in either format. */
export const SignedManifest = v.strictObject({
  /** The manifest as JSON text: the exact bytes that were signed. */
  manifest: v.pipe(v.string(), v.maxLength(64 * 1024)),
  /** Ed25519 signature of `manifest` (UTF-8), base64. */
  signature: v.pipe(v.string(), v.maxLength(200)),
  /** Fingerprint of the signing key, so a mismatch can be named. */
  keyId: v.pipe(v.string(), v.maxLength(100)),
});
export type SignedManifest = v.InferOutput<typeof SignedManifest>;

/** The signed format-2 manifest, written last by `bun run build:client` into the clients directory. */
export const MANIFEST_FILE = "manifest.json";
/** The legacy-format manifest of a transition build (`--legacy-key`); absent otherwise. */
export const LEGACY_MANIFEST_FILE = "manifest.legacy.json";
/** What the build script wrote before format 2, for the server to sign; the server no longer reads it. */
export const OLD_BUILD_RECORD_FILE = "build.json";

/** The query that asks `GET /api/client/manifest` for format 2 (without it, a transition server answers the legacy format). */
export const MANIFEST_FORMAT_QUERY = `format=${MANIFEST_FORMAT}`;

/** Short, stable name of a public key (SPKI DER, base64): the first 16 hex digits of its sha256. */
export function keyFingerprint(publicKeyBase64: string): string {
  return new Bun.CryptoHasher("sha256").update(Buffer.from(publicKeyBase64, "base64")).digest("hex").slice(0, 16);
}
