/**
 * What `client/build.ts` built into this executable (with `define`): its
 * version, target and sequence, and the key whose manifests it trusts.
 * Running from source, none of it exists and self-update is off.
 */
import { type ClientTarget, isClientTarget, keyFingerprint } from "@wotc/schema/wire/client-manifest";

declare const WOTC_BUILD_VERSION: string;
declare const WOTC_BUILD_TARGET: string;
declare const WOTC_BUILD_PUBLIC_KEY: string;
declare const WOTC_BUILD_SEQUENCE: number;
declare const WOTC_BUILD_LEGACY_KEY_ID: string;

export interface CompiledBuild {
  version: string;
  target: ClientTarget;
  /** The signing key's Ed25519 public key, SPKI DER in base64. */
  publicKey: string;
  keyId: string;
  /** The manifest sequence this build was published with: the client never accepts a lower one. */
  sequence: number;
  /** A transition build: the key of the legacy manifests its predecessors trusted (see describeSelf). */
  legacyKeyId?: string;
  /** This executable on disk. */
  executable: string;
}

/** Set by an updating predecessor in its successor's environment. */
export const UPDATED_FROM_ENV = "WOTC_UPDATED_FROM";
/**
 * Asks the executable to describe itself and exit: the check a new build
 * passes before it is installed. "2" from a predecessor that reads format-2
 * manifests, "1" from one before them.
 */
export const SELF_CHECK_ENV = "WOTC_SELF_CHECK";
export const SELF_CHECK_FORMAT = "2";

export function compiledBuild(): CompiledBuild | undefined {
  // `typeof` keeps an undefined name from throwing when running from source
  if (typeof WOTC_BUILD_VERSION === "undefined" || typeof WOTC_BUILD_PUBLIC_KEY === "undefined") return undefined;
  if (typeof WOTC_BUILD_TARGET === "undefined" || !isClientTarget(WOTC_BUILD_TARGET)) return undefined;
  if (!isEmbeddedEntry(Bun.main)) return undefined;
  return {
    version: WOTC_BUILD_VERSION,
    target: WOTC_BUILD_TARGET,
    publicKey: WOTC_BUILD_PUBLIC_KEY,
    keyId: keyFingerprint(WOTC_BUILD_PUBLIC_KEY),
    sequence: typeof WOTC_BUILD_SEQUENCE === "number" ? WOTC_BUILD_SEQUENCE : 0,
    ...(typeof WOTC_BUILD_LEGACY_KEY_ID === "string" && WOTC_BUILD_LEGACY_KEY_ID ? { legacyKeyId: WOTC_BUILD_LEGACY_KEY_ID } : {}),
    executable: process.execPath,
  };
}

/** A compiled executable runs its entry from Bun's embedded file system. */
function isEmbeddedEntry(main: string): boolean {
  return main.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(main);
}

export interface SelfDescription {
  version: string;
  target: string;
  keyId: string;
  sequence?: number;
}

/**
 * One JSON line on stdout, read by `checkCandidate`. A predecessor from
 * before format 2 (`request` "1") checks that `keyId` is its own key, to be
 * sure the new build can verify the next manifest it will be served: it
 * knows no other. A transition build answers it with the legacy key's id,
 * because for such a build that is true in the sense the check means: it
 * verifies the manifests of the same server, signed now by the new key.
 */
export function describeSelf(build: CompiledBuild | undefined, request = SELF_CHECK_FORMAT): string {
  if (!build) return JSON.stringify({ compiled: false });
  const self: SelfDescription =
    request === SELF_CHECK_FORMAT
      ? { version: build.version, target: build.target, keyId: build.keyId, sequence: build.sequence }
      : { version: build.version, target: build.target, keyId: build.legacyKeyId ?? build.keyId };
  return JSON.stringify(self);
}
