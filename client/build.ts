/**
 * `bun run build:client [--target T]... [--version V] [--signing-key FILE [--create-key]] [--legacy-key FILE] [--out DIR] [--partial]`
 *
 * Compiles the client into one executable per target with `bun build
 * --compile`, with its version, target, sequence and the public half of the
 * signing key built in, then signs a manifest of the files (size, sha256)
 * and writes it as `manifest.json` into the output directory. The server
 * only serves what is there (it re-reads it every 30 s, or at once on
 * SIGHUP) and tells connected clients, which verify the signature and update
 * themselves. The signing key lives here, where clients are built, never on
 * the server: see client/release/signing-key.ts.
 *
 * Files are named by version and written under a temporary name first, so a
 * running server never hashes half a file; the manifest is replaced last, in
 * one rename. A target that fails is reported and, unless --partial is
 * given, nothing is published (exit 1). Bad flags, a missing key or a
 * version older than the one published exit 2 before anything compiles.
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import clientPackage from "./package.json";
import { CLIENT_TARGETS, type ClientManifest, type ClientTarget, isClientTarget, type LegacyClientManifest } from "@wotc/schema/wire/client-manifest";
import { compareVersions, parseVersion, VERSION_FORMAT } from "@wotc/schema/wire/client-version";
import { defaultSigningKeyPath, loadSigningKey, publicKeyPath, type SigningKey, SigningKeyError } from "./release/signing-key";
import { nextSequence, publishedManifest, publishManifests, recordSequence, signManifest } from "./release/manifest";
import { hashFile } from "./src/update/hash-file";

const ROOT = resolve(import.meta.dir, "..");
const ENTRY = join(import.meta.dir, "src", "main.ts");

export const BUILD_USAGE = `usage: bun run build:client [options]

  --target T          build only this target (repeatable; default: all of ${CLIENT_TARGETS.join(", ")})
  --version V         the version built in (default: ${clientPackage.version}+<UTC time>); never below the published one
  --signing-key FILE  the private key that signs the manifest (default: $WOTC_SIGNING_KEY, else
                      $XDG_CONFIG_HOME or ~/.config, then /wotc-tracker/client-signing-key.pem); keep it off the server
  --create-key        create the signing key if FILE does not exist (once: clients trust it for as long as they live)
  --legacy-key FILE   also sign a legacy manifest with this key, the one today's clients trust (the server's old
                      data/client-signing-key.pem), so they can update once to builds that trust --signing-key
  --out DIR           where the executables and manifests go (default: dist/clients)
  --partial           publish the targets that built even if others failed
  --help              show this text`;

export interface BuildOptions {
  targets: ClientTarget[];
  version: string;
  signingKey: string;
  createKey: boolean;
  legacyKey?: string;
  outDir: string;
  partial: boolean;
}

/** A flag is missing or wrong, or the build must not go ahead (exit 2, nothing compiled). */
export class BuildUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildUsageError";
  }
}

export interface TargetResult {
  target: ClientTarget;
  ok: boolean;
  file?: string;
  size?: number;
  sha256?: string;
  seconds: number;
  error?: string;
}

export function parseBuildArgs(argv: readonly string[], now = new Date(), env: Record<string, string | undefined> = process.env): BuildOptions | "help" {
  const options: BuildOptions = {
    targets: [],
    version: `${clientPackage.version}+${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`,
    signingKey: env.WOTC_SIGNING_KEY ? resolve(env.WOTC_SIGNING_KEY) : defaultSigningKeyPath(env),
    createKey: false,
    outDir: join(ROOT, "dist", "clients"),
    partial: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new BuildUsageError(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case "--help":
      case "-h":
        return "help";
      case "--target": {
        for (const name of value().split(",")) {
          if (!isClientTarget(name)) throw new BuildUsageError(`--target ${name}: not a supported target (${CLIENT_TARGETS.join(", ")})`);
          if (!options.targets.includes(name)) options.targets.push(name);
        }
        break;
      }
      case "--version": {
        const version = value();
        // The register request takes at most 64 characters; clients compare versions, so each must parse
        if (version.length > 64 || !parseVersion(version)) throw new BuildUsageError(`--version ${version}: expected ${VERSION_FORMAT}, at most 64 characters`);
        options.version = version;
        break;
      }
      case "--signing-key":
        options.signingKey = resolve(value());
        break;
      case "--create-key":
        options.createKey = true;
        break;
      case "--legacy-key":
        options.legacyKey = resolve(value());
        break;
      case "--out":
        options.outDir = resolve(value());
        break;
      case "--partial":
        options.partial = true;
        break;
      default:
        throw new BuildUsageError(`unknown argument ${arg}`);
    }
  }
  if (options.targets.length === 0) options.targets = [...CLIENT_TARGETS];
  return options;
}

/** Everything the build needs before it compiles, checked up front so a bad key or version costs no compile. */
export interface BuildPlan {
  key: SigningKey;
  legacyKey?: SigningKey;
  sequence: number;
}

export async function planBuild(options: BuildOptions, log: (line: string) => void): Promise<BuildPlan> {
  let key: SigningKey;
  let legacyKey: SigningKey | undefined;
  try {
    key = await loadSigningKey(options.signingKey, { create: options.createKey, log });
    if (options.legacyKey) legacyKey = await loadSigningKey(options.legacyKey, { role: "legacy key", log });
  } catch (error) {
    if (error instanceof SigningKeyError) throw new BuildUsageError(error.message);
    throw error;
  }
  if (legacyKey && legacyKey.keyId === key.keyId) {
    throw new BuildUsageError(`--legacy-key and --signing-key are the same key (${key.keyId}); the signing key must be a new one the server never held`);
  }
  const published = await publishedManifest(options.outDir);
  if (published && compareVersions(options.version, published.version) < 0) {
    throw new BuildUsageError(
      `--version ${options.version} is older than ${published.version}, published in ${options.outDir}; clients never go back to an older version (publish the old code as a newer version)`,
    );
  }
  const sequence = await nextSequence(options.signingKey, published);
  log(`signing with key ${key.keyId} (${options.signingKey}; public key in ${publicKeyPath(options.signingKey)}), sequence ${sequence}`);
  if (legacyKey) log(`and a legacy manifest with key ${legacyKey.keyId} (${options.legacyKey}), for clients that trust it`);
  return { key, legacyKey, sequence };
}

export function fileNameFor(version: string, target: ClientTarget): string {
  return `wotc-client-${version}-${target}${target.startsWith("windows-") ? ".exe" : ""}`;
}

async function compileTarget(target: ClientTarget, version: string, plan: BuildPlan, outDir: string): Promise<TargetResult> {
  const started = performance.now();
  const file = fileNameFor(version, target);
  const temporary = join(outDir, `.${file}.${process.pid}.partial${target.startsWith("windows-") ? ".exe" : ""}`);
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  try {
    const result = await Bun.build({
      entrypoints: [ENTRY],
      compile: { target: `bun-${target}` as Bun.Build.CompileTarget, outfile: temporary },
      define: {
        WOTC_BUILD_VERSION: JSON.stringify(version),
        WOTC_BUILD_TARGET: JSON.stringify(target),
        WOTC_BUILD_PUBLIC_KEY: JSON.stringify(plan.key.publicKey),
        WOTC_BUILD_SEQUENCE: JSON.stringify(plan.sequence),
        // Told to a predecessor that still runs the legacy self-check (see build-info.ts)
        WOTC_BUILD_LEGACY_KEY_ID: JSON.stringify(plan.legacyKey?.keyId ?? ""),
      },
      throw: false,
    });
    if (!result.success) {
      const why = result.logs.map((entry) => String(entry.message ?? entry)).join("; ") || "no reason given";
      return { target, ok: false, seconds: seconds(), error: why };
    }
    await rename(temporary, join(outDir, file));
    const { sha256, size } = await hashFile(join(outDir, file));
    return { target, ok: true, file, size, sha256, seconds: seconds() };
  } catch (error) {
    await rm(temporary, { force: true });
    return { target, ok: false, seconds: seconds(), error: error instanceof Error ? error.message : String(error) };
  }
}

export async function buildClients(options: BuildOptions, log: (line: string) => void = console.log): Promise<{ results: TargetResult[]; published?: string; sequence: number }> {
  const plan = await planBuild(options, log);
  await mkdir(options.outDir, { recursive: true });
  const results: TargetResult[] = [];
  // One at a time: each compile holds a ~100 MB executable in memory
  for (const target of options.targets) {
    const result = await compileTarget(target, options.version, plan, options.outDir);
    log(
      result.ok
        ? `  ${target.padEnd(13)} ${result.file}  ${(result.size! / 1e6).toFixed(1)} MB  sha256 ${result.sha256!.slice(0, 16)}…  ${result.seconds} s`
        : `  ${target.padEnd(13)} FAILED after ${result.seconds} s: ${result.error}`,
    );
    results.push(result);
  }
  const built = results.filter((r) => r.ok);
  const failed = results.filter((r) => !r.ok);
  if (built.length === 0 || (failed.length > 0 && !options.partial)) return { results, sequence: plan.sequence };
  const builtAt = new Date().toISOString();
  const targets = Object.fromEntries(built.map((r) => [r.target, { file: r.file!, size: r.size!, sha256: r.sha256! }]));
  const manifest: ClientManifest = { format: 2, version: options.version, sequence: plan.sequence, builtAt, targets };
  const legacy: LegacyClientManifest | undefined = plan.legacyKey ? { version: options.version, signedAt: builtAt, targets } : undefined;
  await recordSequence(options.signingKey, plan.sequence);
  const published = await publishManifests(
    options.outDir,
    signManifest(plan.key, manifest),
    legacy && plan.legacyKey ? signManifest(plan.legacyKey, legacy) : undefined,
  );
  return { results, published, sequence: plan.sequence };
}

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseBuildArgs(argv);
  } catch (error) {
    if (!(error instanceof BuildUsageError)) throw error;
    console.error(`error: ${error.message}\n\n${BUILD_USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(BUILD_USAGE);
    return 0;
  }
  console.log(`building wotc-client ${options.version} for ${options.targets.join(", ")} into ${options.outDir}`);
  let outcome;
  try {
    outcome = await buildClients(options);
  } catch (error) {
    if (!(error instanceof BuildUsageError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  const { results, published, sequence } = outcome;
  const failed = results.filter((r) => !r.ok);
  if (published) {
    console.log(`published ${options.version} (sequence ${sequence}) in ${published}; a running server picks it up within 30 s (or now: kill -HUP <server pid>)`);
  }
  if (failed.length > 0) {
    console.error(`${failed.length} of ${results.length} targets failed: ${failed.map((r) => r.target).join(", ")}`);
    if (!published) console.error("nothing was published (pass --partial to publish the targets that built)");
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  main(Bun.argv.slice(2)).then((code) => process.exit(code));
}
