/**
 * The client builds this server distributes: it reads `build.json` in the
 * clients directory (written last by `bun run build:client`), hashes the files
 * it names, and signs a manifest of them. `refresh()` is cheap when nothing
 * changed (one read and a stat per file), so it can run on a timer.
 */
import { rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import {
  BUILD_RECORD_FILE,
  BuildRecord,
  type ClientManifest,
  type ClientTarget,
  MANIFEST_FILE,
  type ManifestEntry,
  type SignedManifest,
} from "@wotc/schema/wire/client-manifest";
import { hashFile } from "../../../client/src/update/hash-file";
import type { SigningKey } from "./signing-key";

export interface Publication {
  version: string;
  signed: SignedManifest;
  /** Per published target: the entry as signed and where the file is. */
  targets: Map<ClientTarget, ManifestEntry & { path: string }>;
}

export interface CatalogOptions {
  /** The clients directory (default dist/clients). */
  dir: string;
  key: SigningKey;
  log: (line: string) => void;
  now?: () => Date;
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
    const recordPath = join(dir, BUILD_RECORD_FILE);
    const file = Bun.file(recordPath);
    if (!(await file.exists())) {
      const had = this.published !== undefined;
      this.published = undefined;
      this.problem(`no client builds to distribute: ${recordPath} does not exist (run \`bun run build:client\`)`, had);
      return undefined;
    }
    let record: BuildRecord;
    try {
      const parsed = v.safeParse(BuildRecord, JSON.parse(await file.text()));
      if (!parsed.success) {
        const issue = parsed.issues[0];
        throw new Error(`${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`);
      }
      record = parsed.output;
    } catch (error) {
      this.problem(`${recordPath} is not a valid build record (${(error as Error).message}); still distributing ${this.published?.version ?? "nothing"}`);
      return undefined;
    }

    const targets = new Map<ClientTarget, ManifestEntry & { path: string }>();
    const missing: string[] = [];
    for (const [target, name] of Object.entries(record.targets) as [ClientTarget, string][]) {
      const path = join(dir, name);
      const hashed = await this.hash(path);
      if (!hashed) missing.push(`${target} (${name})`);
      else targets.set(target, { file: name, size: hashed.size, sha256: hashed.sha256, path });
    }
    if (missing.length > 0) this.problem(`${recordPath} names files that do not exist: ${missing.join(", ")}; not distributing those targets`);
    if (targets.size === 0) {
      if (missing.length === 0) this.problem(`${recordPath} lists no targets`);
      return undefined;
    }
    if (this.published && sameBuild(this.published, record.version, targets)) return undefined;

    const manifest: ClientManifest = {
      version: record.version,
      signedAt: (this.options.now?.() ?? new Date()).toISOString(),
      targets: Object.fromEntries([...targets].map(([target, { file, size, sha256 }]) => [target, { file, size, sha256 }])),
    };
    const text = JSON.stringify(manifest);
    const signed: SignedManifest = { manifest: text, signature: this.options.key.sign(text), keyId: this.options.key.keyId };
    this.published = { version: record.version, signed, targets };
    this.lastProblem = undefined;
    await this.writeManifest(signed);
    return this.published;
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

  /** The signed manifest on disk too, for operators and mirrors; a read-only directory is only a warning. */
  private async writeManifest(signed: SignedManifest): Promise<void> {
    const path = join(this.options.dir, MANIFEST_FILE);
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(signed, null, 2)}\n`);
      await rename(temporary, path);
    } catch (error) {
      this.problem(`cannot write ${path}: ${(error as Error).message} (the manifest is still served)`);
    }
  }

  private problem(line: string, force = false): void {
    if (line === this.lastProblem && !force) return;
    this.lastProblem = line;
    this.options.log(line);
  }
}

function sameBuild(published: Publication, version: string, targets: Publication["targets"]): boolean {
  if (published.version !== version || published.targets.size !== targets.size) return false;
  for (const [target, entry] of targets) {
    const old = published.targets.get(target);
    if (!old || old.sha256 !== entry.sha256 || old.size !== entry.size || old.file !== entry.file) return false;
  }
  return true;
}
