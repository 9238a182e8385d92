/**
 * `bun run build:client [--target T]... [--version V] [--public-key FILE | --data-dir DIR] [--out DIR] [--partial]`
 *
 * Compiles the client into one executable per target with `bun build
 * --compile`, the version, target and the server's Ed25519 public key built
 * in, then writes `build.json` naming the new files. The server notices
 * `build.json` (every 30 s, or at once on SIGHUP), signs a manifest of the
 * files and tells connected clients, which then update themselves.
 *
 * Files are named by version and written under a temporary name first, so a
 * running server never hashes half a file; build.json is replaced last, in one
 * rename. A target that fails is reported and, unless --partial is given,
 * nothing is published (exit 1).
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as v from "valibot";
import clientPackage from "./package.json";
import { BUILD_RECORD_FILE, type BuildRecord, CLIENT_TARGETS, type ClientTarget, ClientVersion, isClientTarget } from "@wotc/schema/wire/client-manifest";
import { loadOrCreateSigningKey, PUBLIC_KEY_FILE, readPublicKeyFile } from "../server/src/dist/signing-key";
import { hashFile } from "./src/update/hash-file";

const ROOT = resolve(import.meta.dir, "..");
const ENTRY = join(import.meta.dir, "src", "main.ts");

export const BUILD_USAGE = `usage: bun run build:client [options]

  --target T         build only this target (repeatable; default: all of ${CLIENT_TARGETS.join(", ")})
  --version V        the version built in (default: ${clientPackage.version}+<UTC time>)
  --public-key FILE  the server's public key to trust (default: <data-dir>/${PUBLIC_KEY_FILE})
  --data-dir DIR     the server's data directory (default: data); its key pair is created if it has none
  --out DIR          where the executables and build.json go (default: dist/clients)
  --partial          publish the targets that built even if others failed
  --help             show this text`;

export interface BuildOptions {
  targets: ClientTarget[];
  version: string;
  publicKeyFile?: string;
  dataDir: string;
  outDir: string;
  partial: boolean;
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

export function parseBuildArgs(argv: readonly string[], now = new Date()): BuildOptions | "help" {
  const options: BuildOptions = {
    targets: [],
    version: `${clientPackage.version}+${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`,
    dataDir: "data",
    outDir: join(ROOT, "dist", "clients"),
    partial: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new Error(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case "--help":
      case "-h":
        return "help";
      case "--target": {
        for (const name of value().split(",")) {
          if (!isClientTarget(name)) throw new Error(`--target ${name}: not a supported target (${CLIENT_TARGETS.join(", ")})`);
          if (!options.targets.includes(name)) options.targets.push(name);
        }
        break;
      }
      case "--version": {
        const version = value();
        const checked = v.safeParse(ClientVersion, version);
        if (!checked.success) throw new Error(`--version ${version}: ${checked.issues[0].message} (at most 64 characters)`);
        options.version = version;
        break;
      }
      case "--public-key":
        options.publicKeyFile = value();
        break;
      case "--data-dir":
        options.dataDir = value();
        break;
      case "--out":
        options.outDir = resolve(value());
        break;
      case "--partial":
        options.partial = true;
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  if (options.targets.length === 0) options.targets = [...CLIENT_TARGETS];
  return options;
}

/** The key the clients will trust: the given file, else the server's data dir (creating the pair there if needed). */
async function trustedKey(options: BuildOptions, log: (line: string) => void): Promise<string> {
  if (options.publicKeyFile) return readPublicKeyFile(options.publicKeyFile);
  const key = await loadOrCreateSigningKey(options.dataDir, log);
  log(`trusting the server key ${key.keyId} from ${key.publicKeyPath}`);
  return key.publicKey;
}

export function fileNameFor(version: string, target: ClientTarget): string {
  return `wotc-client-${version}-${target}${target.startsWith("windows-") ? ".exe" : ""}`;
}

async function compileTarget(target: ClientTarget, version: string, publicKey: string, outDir: string): Promise<TargetResult> {
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
        WOTC_BUILD_PUBLIC_KEY: JSON.stringify(publicKey),
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

/** Writes build.json through a rename: the server reads either the old record or the new one. */
async function publish(outDir: string, record: BuildRecord): Promise<string> {
  const path = join(outDir, BUILD_RECORD_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await Bun.write(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, path);
  return path;
}

export async function buildClients(options: BuildOptions, log: (line: string) => void = console.log): Promise<{ results: TargetResult[]; published?: string }> {
  const publicKey = await trustedKey(options, log);
  await mkdir(options.outDir, { recursive: true });
  const results: TargetResult[] = [];
  // One at a time: each compile holds a ~100 MB executable in memory
  for (const target of options.targets) {
    const result = await compileTarget(target, options.version, publicKey, options.outDir);
    log(
      result.ok
        ? `  ${target.padEnd(13)} ${result.file}  ${(result.size! / 1e6).toFixed(1)} MB  sha256 ${result.sha256!.slice(0, 16)}…  ${result.seconds} s`
        : `  ${target.padEnd(13)} FAILED after ${result.seconds} s: ${result.error}`,
    );
    results.push(result);
  }
  const built = results.filter((r) => r.ok);
  const failed = results.filter((r) => !r.ok);
  if (built.length === 0 || (failed.length > 0 && !options.partial)) return { results };
  const record: BuildRecord = {
    version: options.version,
    builtAt: new Date().toISOString(),
    targets: Object.fromEntries(built.map((r) => [r.target, r.file!])),
  };
  return { results, published: await publish(options.outDir, record) };
}

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseBuildArgs(argv);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${BUILD_USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(BUILD_USAGE);
    return 0;
  }
  console.log(`building wotc-client ${options.version} for ${options.targets.join(", ")} into ${options.outDir}`);
  const { results, published } = await buildClients(options);
  const failed = results.filter((r) => !r.ok);
  if (published) {
    console.log(`published ${options.version} in ${published}; a running server picks it up within 30 s (or now: kill -HUP <server pid>)`);
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
