/**
 * Client versions and how they compare: the server's `clients.minVersion`
 * check and the client's "never go back" check both use this, so the two
 * can never disagree about which of two builds is older.
 *
 * A version is `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, as in semver. Core
 * numbers and the pre-release compare as semver says (numeric identifiers as
 * numbers, others as ASCII text, `1.0.0-rc.1` before `1.0.0`). Unlike semver,
 * the build suffix is not ignored: `bun run build:client` names each build by
 * its UTC time (`0.1.0+20261127T214910Z`), and a later build of the same
 * version must count as newer, or a minimum version could not tell a broken
 * build from its fix. So when everything before `+` is equal, a version
 * without a suffix comes first (`0.1.0` is the oldest 0.1.0 build, and as a
 * minimum admits every 0.1.0 build), then suffixes compare identifier by
 * identifier like a pre-release. Timestamps of one fixed width compare as
 * text in time order.
 */

export interface ParsedVersion {
  core: [number, number, number];
  prerelease: string[];
  build: string[];
}

const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function parseVersion(text: string): ParsedVersion | undefined {
  const match = VERSION.exec(text);
  if (!match) return undefined;
  const core = [Number(match[1]), Number(match[2]), Number(match[3])] as [number, number, number];
  if (!core.every(Number.isSafeInteger)) return undefined;
  return { core, prerelease: match[4]?.split(".") ?? [], build: match[5]?.split(".") ?? [] };
}

export const VERSION_FORMAT = "MAJOR.MINOR.PATCH with an optional -PRERELEASE and +BUILD, e.g. 0.2.0 or 0.2.0+20261127T214910Z";

/** Negative when a is older than b, 0 when equal, positive when newer. Throws on a version that does not parse. */
export function compareVersions(a: string, b: string): number {
  const left = parseVersion(a);
  const right = parseVersion(b);
  if (!left) throw new Error(`"${a}" is not a version (${VERSION_FORMAT})`);
  if (!right) throw new Error(`"${b}" is not a version (${VERSION_FORMAT})`);
  for (let i = 0; i < 3; i++) {
    if (left.core[i] !== right.core[i]) return left.core[i]! - right.core[i]!;
  }
  // A pre-release comes before its release; a build suffix comes after the bare version
  const pre = compareIdentifiers(left.prerelease, right.prerelease, "absent-last");
  if (pre !== 0) return pre;
  return compareIdentifiers(left.build, right.build, "absent-first");
}

function compareIdentifiers(a: string[], b: string[], absent: "absent-first" | "absent-last"): number {
  if (a.length === 0 || b.length === 0) {
    if (a.length === b.length) return 0;
    const aFirst = absent === "absent-first" ? a.length === 0 : b.length === 0;
    return aFirst ? -1 : 1;
  }
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareIdentifier(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareIdentifier(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) {
    const difference = BigInt(a) - BigInt(b);
    return difference === 0n ? 0 : difference < 0n ? -1 : 1;
  }
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
