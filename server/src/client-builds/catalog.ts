/**
 * The client builds this server distributes: the manifest that
 * `bun run build:client` signed and wrote into the clients directory, served
 * as written. The server holds no key clients trust and signs nothing, so a
 * break-in here (or write access to the directory) cannot make clients run
 * anything: a changed manifest no longer verifies, a changed file no longer
 * matches its signed sha256, an old manifest put back is older than the
 * clients that read it.
 *
 * It still reads what it serves, for the operator's sake: the files the
 * manifest names must exist with the signed size and sha256 (else that
 * target is not served and the log says why), and a manifest older than the
 * one being distributed is not taken up. A transition build's legacy
 * manifest is served alongside when it names the same files. `refresh()` is
 * cheap when nothing changed (a read and a stat per file), so it can run on
 * a timer.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import {
  ClientManifest,
  type ClientTarget,
  LEGACY_MANIFEST_FILE,
  LegacyClientManifest,
  MANIFEST_FILE,
  type ManifestEntry,
  OLD_BUILD_RECORD_FILE,
  SignedManifest,
} from "@wotc/schema/wire/client-manifest";
import { hashFile } from "../../../client/src/update/hash-file";

export interface Publication {
  version: string;
  sequence: number;
  /** The format-2 manifest, as the build wrote it. */
  signed: SignedManifest;
  /** The legacy manifest of a transition build, for clients from before format 2. */
  legacy?: SignedManifest;
  /** Per target whose file is here as signed: the entry and where the file is. */
  targets: Map<ClientTarget, ManifestEntry & { path: string }>;
}

export interface CatalogOptions {
  /** The clients directory (default dist/clients). */
  dir: string;
  log: (line: string) => void;
}

interface CachedHash {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export class ClientCatalog {
  private published: Publication | undefined;
  private readonly hashes = new Map<string, CachedHash>();
  /** Last problem told to the operator, so a timer does not repeat it every tick. */
  private lastProblem: string | undefined;
  private pending: Promise<Publication | undefined> = Promise.resolve(undefined);

  constructor(private readonly options: CatalogOptions) {}

  get dir(): string {
    return this.options.dir;
  }

  current(): Publication | undefined {
    return this.published;
  }

  /** Re-reads the directory; resolves with the new publication when it changed, else undefined. Never rejects. */
  refresh(): Promise<Publication | undefined> {
    // One at a time: a SIGHUP during a timer tick waits for it instead of hashing twice
    this.pending = this.pending.then(() => this.reload().catch((error) => void this.problem(`cannot read the client builds: ${(error as Error).message}`)));
    return this.pending;
  }

  private async reload(): Promise<Publication | undefined> {
    const { dir } = this.options;
    const manifestPath = join(dir, MANIFEST_FILE);
    const file = Bun.file(manifestPath);
    if (!(await file.exists())) {
      const had = this.published !== undefined;
      this.published = undefined;
      const oldRecord = await Bun.file(join(dir, OLD_BUILD_RECORD_FILE)).exists();
      this.problem(
        oldRecord
          ? `no client builds to distribute: ${dir} has a ${OLD_BUILD_RECORD_FILE} but no signed ${MANIFEST_FILE}; this server no longer signs builds, they are signed where they are built (\`bun run build:client\`, README "Publishing a client build")`
          : `no client builds to distribute: ${manifestPath} does not exist (run \`bun run build:client\`)`,
        had,
      );
      return undefined;
    }
    let signed: SignedManifest;
    let manifest: ClientManifest;
    try {
      ({ signed, manifest } = parseSigned(await file.text(), ClientManifest));
    } catch (error) {
      this.problem(`${manifestPath} is not a signed manifest (${(error as Error).message}); still distributing ${this.published?.version ?? "nothing"}`);
      return undefined;
    }
    const current = this.published;
    if (current && manifest.sequence < current.sequence) {
      this.problem(`${manifestPath} has sequence ${manifest.sequence}, older than the ${current.sequence} being distributed (clients would refuse it); still distributing ${current.version}`);
      return undefined;
    }

    const targets = new Map<ClientTarget, ManifestEntry & { path: string }>();
    const unusable: string[] = [];
    for (const [target, entry] of Object.entries(manifest.targets) as [ClientTarget, ManifestEntry][]) {
      const why = await this.unusable(entry);
      if (why) unusable.push(`${target} (${entry.file}: ${why})`);
      else targets.set(target, { ...entry, path: join(dir, entry.file) });
    }
    if (unusable.length > 0) this.problem(`${manifestPath} names files that are not as signed: ${unusable.join(", ")}; not distributing those targets`);
    if (targets.size === 0) {
      if (unusable.length === 0) this.problem(`${manifestPath} lists no targets`);
      return undefined;
    }
    const legacy = await this.legacyFor(manifest);
    if (current && sameBuild(current, manifest.sequence, targets) && current.legacy?.manifest === legacy?.manifest) return undefined;

    this.published = { version: manifest.version, sequence: manifest.sequence, signed, ...(legacy ? { legacy } : {}), targets };
    this.lastProblem = undefined;
    return this.published;
  }

  /** Why a signed entry cannot be served as it is on disk, if it cannot. */
  private async unusable(entry: ManifestEntry): Promise<string | undefined> {
    // The manifest may have been written by someone else: it names files here, nothing else
    if (/[/\\]/.test(entry.file) || entry.file.startsWith(".")) return "not a plain file name";
    const hashed = await this.hash(join(this.options.dir, entry.file));
    if (!hashed) return "missing";
    if (hashed.size !== entry.size) return `${hashed.size} bytes, signed as ${entry.size}`;
    if (hashed.sha256 !== entry.sha256) return "its sha256 differs from the signed one";
    return undefined;
  }

  /** The transition build's legacy manifest, when it describes the same build. */
  private async legacyFor(manifest: ClientManifest): Promise<SignedManifest | undefined> {
    const path = join(this.options.dir, LEGACY_MANIFEST_FILE);
    const file = Bun.file(path);
    if (!(await file.exists())) return undefined;
    try {
      const { signed, manifest: legacy } = parseSigned(await file.text(), LegacyClientManifest);
      const same =
        legacy.version === manifest.version &&
        Object.keys(legacy.targets).length === Object.keys(manifest.targets).length &&
        Object.entries(legacy.targets).every(([target, entry]) => manifest.targets[target as ClientTarget]?.sha256 === entry.sha256);
      if (same) return signed;
      this.problem(`${path} describes another build than ${MANIFEST_FILE} (${legacy.version}, not ${manifest.version}); clients from before format 2 get no update until both come from one build`);
    } catch (error) {
      this.problem(`${path} is not a signed legacy manifest (${(error as Error).message}); clients from before format 2 get no update`);
    }
    return undefined;
  }

  /** Hashes a file again only when its size or mtime moved. */
  private async hash(path: string): Promise<{ size: number; sha256: string } | undefined> {
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    const cached = this.hashes.get(path);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return cached;
    const { sha256, size } = await hashFile(path);
    const fresh = { size, mtimeMs: info.mtimeMs, sha256 };
    this.hashes.set(path, fresh);
    return fresh;
  }

  private problem(line: string, force = false): void {
    if (line === this.lastProblem && !force) return;
    this.lastProblem = line;
    this.options.log(line);
  }
}

/** The envelope and the manifest inside it, shapes checked; the signature is the clients' to check. */
function parseSigned<T extends v.GenericSchema>(text: string, schema: T): { signed: SignedManifest; manifest: v.InferOutput<T> } {
  const envelope = v.safeParse(SignedManifest, JSON.parse(text));
  if (!envelope.success) throw new Error(firstIssue(envelope.issues));
  const inner = v.safeParse(schema, JSON.parse(envelope.output.manifest));
  if (!inner.success) throw new Error(`manifest ${firstIssue(inner.issues)}`);
  return { signed: envelope.output, manifest: inner.output };
}

function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0]!;
  return `${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`;
}

function sameBuild(published: Publication, sequence: number, targets: Publication["targets"]): boolean {
  if (published.sequence !== sequence || published.targets.size !== targets.size) return false;
  for (const [target, entry] of targets) {
    const old = published.targets.get(target);
    if (!old || old.sha256 !== entry.sha256 || old.size !== entry.size || old.file !== entry.file) return false;
  }
  return true;
}
