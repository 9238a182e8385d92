/**
 * What `client/build.ts` built into this executable (with `define`): its
 * version, its target and the server key it trusts. Running from source,
 * none of it exists and self-update is off.
 */
import { type ClientTarget, isClientTarget, keyFingerprint } from "@wotc/schema/wire/client-manifest";

declare const WOTC_BUILD_VERSION: string;
declare const WOTC_BUILD_TARGET: string;
declare const WOTC_BUILD_PUBLIC_KEY: string;

export interface CompiledBuild {
  version: string;
  target: ClientTarget;
  /** The server's Ed25519 public key, SPKI DER in base64. */
  publicKey: string;
  keyId: string;
  /** This executable on disk. */
  executable: string;
}

/** Set by an updating predecessor in its successor's environment. */
export const UPDATED_FROM_ENV = "WOTC_UPDATED_FROM";
/** Asks the executable to describe itself and exit: the check a new build passes before it is installed. */
export const SELF_CHECK_ENV = "WOTC_SELF_CHECK";

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
}

/** One JSON line on stdout, read by `checkCandidate`. */
export function describeSelf(build: CompiledBuild | undefined): string {
  const self: SelfDescription | { compiled: false } = build
    ? { version: build.version, target: build.target, keyId: build.keyId }
    : { compiled: false };
  return JSON.stringify(self);
}
