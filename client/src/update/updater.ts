/**
 * Self-update: compare this executable with the build the server distributes,
 * and when they differ download, verify and stage the new one; `install()`
 * then swaps it in and hands over to it. Every failure is logged and leaves
 * the running binary in place: a volunteer's client must never be bricked.
 *
 * Nothing downloaded runs before the manifest passed every check that needs
 * no download: its signature, a sequence not below this build's (nor below
 * any manifest seen since), a version not below this build's. Then the
 * download must match the signed size and sha256, and only then is it run,
 * once, to describe itself (self-check.ts).
 *
 * States: idle → checking → (staged → installing) → idle. A build refused
 * for its content is not fetched again by this process; one that failed to
 * start is recorded on disk and never tried again; a download that merely
 * failed is retried a few times (on the next announcement or registration).
 */
import { chmod, rm } from "node:fs/promises";
import type { Logger } from "../log";
import { endpointUrl } from "../urls";
import type { CompiledBuild } from "./build-info";
import { downloadBuild } from "./download";
import { UpdateFailed, UpdateRefused } from "./errors";
import { handOver } from "./handover";
import { replaceExecutable, restoreExecutable, stagingPath } from "./install";
import { type ClientManifest, MANIFEST_FORMAT_QUERY } from "@wotc/schema/wire/client-manifest";
import { compareVersions } from "@wotc/schema/wire/client-version";
import { RejectedBuilds } from "./rejected-builds";
import { type CheckCandidate, checkCandidate } from "./self-check";
import { verifyManifest } from "./verify";
import { hashFile } from "./hash-file";

export interface StagedUpdate {
  version: string;
  sha256: string;
  size: number;
  path: string;
  /** When its download began (performance.now()), for the "update took" line. */
  startedAt: number;
}

export interface SelfUpdaterDeps {
  server: string;
  build: CompiledBuild;
  log: Logger;
  fetch?: typeof fetch;
  checkCandidate?: CheckCandidate;
  platform?: NodeJS.Platform;
  /** Downloads of one build that may fail (network, disk) before this process gives up on it. */
  maxAttempts?: number;
}

export type InstallOutcome = { kind: "exited"; code: number } | { kind: "kept"; why: string };

export class SelfUpdater {
  private state: "idle" | "checking" | "staged" | "installing" = "idle";
  private staged: StagedUpdate | undefined;
  private checking: Promise<StagedUpdate | undefined> | undefined;
  private ownSha: Promise<string> | undefined;
  /** The highest sequence of a manifest that passed the checks: a server may not walk us back below it. */
  private highestSequence = 0;
  private readonly refused = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly said = new Set<string>();
  readonly rejected: RejectedBuilds;

  constructor(private readonly deps: SelfUpdaterDeps) {
    this.rejected = new RejectedBuilds(deps.build.executable);
  }

  get currentState() {
    return this.state;
  }

  /** Looks for a newer build; resolves with it once downloaded and verified. Never rejects. */
  check(reason: string): Promise<StagedUpdate | undefined> {
    if (this.staged) return Promise.resolve(this.staged);
    if (this.state === "installing") return Promise.resolve(undefined);
    this.checking ??= this.look(reason)
      .catch((error) => {
        this.deps.log.error(`update: unexpected failure while checking: ${describe(error)}; staying on ${this.deps.build.version}`);
        return undefined;
      })
      .finally(() => {
        this.checking = undefined;
        if (this.state === "checking") this.state = "idle";
      });
    return this.checking;
  }

  /** Swaps the staged build in and runs it; on "kept" this process carries on as before. */
  async install(args: string[]): Promise<InstallOutcome> {
    const staged = this.staged;
    if (!staged) return { kind: "kept", why: "nothing staged" };
    this.staged = undefined;
    this.state = "installing";
    const { build, log } = this.deps;
    let backup: string;
    try {
      backup = await replaceExecutable(build.executable, staged.path, this.deps.platform);
    } catch (error) {
      await rm(staged.path, { force: true }).catch(() => {});
      this.countFailure(staged.sha256);
      this.state = "idle";
      const why = `cannot replace ${build.executable}: ${describe(error)}`;
      log.error(`update: ${why}; staying on ${build.version}`);
      return { kind: "kept", why };
    }
    log.info(`update: installed ${staged.version} in place of ${build.version}; restarting with the same arguments`);
    const outcome = await handOver({
      executable: build.executable,
      args,
      from: build.version,
      platform: this.deps.platform,
      onStarted: () => {
        const seconds = ((performance.now() - staged.startedAt) / 1000).toFixed(1);
        log.info(`update: ${staged.version} is running, ${seconds} s after its download began`);
        void rm(backup, { force: true }).catch(() => {});
      },
    });
    if (outcome.kind === "exited") return outcome;

    try {
      await restoreExecutable(build.executable, backup);
    } catch (error) {
      log.error(`update: cannot put ${build.version} back from ${backup}: ${describe(error)}`);
    }
    this.refused.add(staged.sha256);
    await this.rejected.add(staged.sha256, staged.version, outcome.why);
    this.state = "idle";
    log.error(
      `update: ${staged.version} failed to start (${outcome.why}); ${build.version} is back in place and ` +
        `${staged.version} will not be tried again (${this.rejected.path})`,
    );
    return { kind: "kept", why: outcome.why };
  }

  /** The run ended for another reason: the staged download is not needed now. */
  async discard(): Promise<void> {
    const staged = this.staged;
    this.staged = undefined;
    if (staged) await rm(staged.path, { force: true }).catch(() => {});
    if (this.state === "staged") this.state = "idle";
  }

  private async look(reason: string): Promise<StagedUpdate | undefined> {
    this.state = "checking";
    const { build, log } = this.deps;
    const manifest = await this.fetchManifest();
    if (!manifest) return undefined;
    const older = this.olderThanUs(manifest);
    if (older) {
      this.once("error", `update: refused the server's manifest: ${older}; staying on ${build.version}`);
      return undefined;
    }
    this.highestSequence = Math.max(this.highestSequence, manifest.sequence);
    const entry = manifest.targets[build.target];
    if (!entry) {
      this.once("info", `update: the server has no ${build.target} build of ${manifest.version}; staying on ${build.version}`);
      return undefined;
    }
    if (entry.sha256 === (await this.ownHash())) {
      this.once("info", `update: ${build.version} is the build the server distributes`);
      return undefined;
    }
    if (manifest.sequence === build.sequence) {
      this.once("error", `update: refused the server's manifest: it has this build's sequence ${build.sequence} but another ${build.target} file; staying on ${build.version}`);
      return undefined;
    }
    if (this.refused.has(entry.sha256) || (this.failures.get(entry.sha256) ?? 0) >= (this.deps.maxAttempts ?? 3)) return undefined;
    if (await this.rejected.has(entry.sha256)) {
      this.once("warn", `update: ${manifest.version} failed to start on this machine before (${this.rejected.path}); staying on ${build.version}`);
      return undefined;
    }

    const startedAt = performance.now();
    const path = stagingPath(build.executable, this.deps.platform);
    log.info(`update: ${reason}: the server distributes ${manifest.version}, this is ${build.version}; downloading ${(entry.size / 1e6).toFixed(1)} MB`);
    try {
      await downloadBuild({
        url: endpointUrl(this.deps.server, `/api/client/download/${build.target}`),
        destination: path,
        size: entry.size,
        sha256: entry.sha256,
        fetch: this.deps.fetch,
      });
    } catch (error) {
      this.noteFailure(manifest, entry.sha256, error);
      return undefined;
    }
    try {
      await chmod(path, 0o755);
      await (this.deps.checkCandidate ?? checkCandidate)(path, { version: manifest.version, target: build.target, keyId: build.keyId, sequence: manifest.sequence });
    } catch (error) {
      await rm(path, { force: true }).catch(() => {});
      this.refused.add(entry.sha256);
      await this.rejected.add(entry.sha256, manifest.version, describe(error));
      log.error(`update: refused ${manifest.version}: ${describe(error)}; staying on ${build.version}`);
      return undefined;
    }
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    log.info(`update: ${manifest.version} downloaded and verified (signature, sequence, version, size, sha256, self-check) in ${seconds} s`);
    this.staged = { version: manifest.version, sha256: entry.sha256, size: entry.size, path, startedAt };
    this.state = "staged";
    return this.staged;
  }

  private async fetchManifest(): Promise<ClientManifest | undefined> {
    const { build, log } = this.deps;
    const url = endpointUrl(this.deps.server, `/api/client/manifest?${MANIFEST_FORMAT_QUERY}`);
    let response: Response;
    let body: string;
    try {
      response = await (this.deps.fetch ?? fetch)(url, { signal: AbortSignal.timeout(15_000) });
      body = await response.text();
    } catch (error) {
      this.once("warn", `update: cannot fetch ${url}: ${describe(error)}; staying on ${build.version} for now`);
      return undefined;
    }
    if (response.status === 404) {
      this.once("info", `update: the server distributes no client builds; staying on ${build.version}`);
      return undefined;
    }
    if (!response.ok) {
      this.once("warn", `update: ${url} answered ${response.status}; staying on ${build.version} for now`);
      return undefined;
    }
    try {
      return verifyManifest(JSON.parse(body), build.publicKey);
    } catch (error) {
      const why = error instanceof SyntaxError ? "the manifest is not JSON" : describe(error);
      this.once("error", `update: refused the server's manifest: ${why}; staying on ${build.version}`);
      return undefined;
    }
  }

  /** Why a validly signed manifest is still one to refuse: it would take this client back. */
  private olderThanUs(manifest: ClientManifest): string | undefined {
    const { build } = this.deps;
    if (manifest.sequence < build.sequence) {
      return `its sequence ${manifest.sequence} is older than this build's ${build.sequence} (an old manifest replayed?)`;
    }
    if (manifest.sequence < this.highestSequence) {
      return `its sequence ${manifest.sequence} is older than the ${this.highestSequence} this client was served before (an old manifest replayed?)`;
    }
    let order: number;
    try {
      order = compareVersions(manifest.version, build.version);
    } catch (error) {
      return `cannot compare its version with this build's: ${describe(error)}`;
    }
    if (order < 0) return `it offers version ${manifest.version}, older than this build's ${build.version}`;
    return undefined;
  }

  private noteFailure(manifest: ClientManifest, sha256: string, error: unknown): void {
    const { build, log } = this.deps;
    if (error instanceof UpdateRefused) {
      this.refused.add(sha256);
      log.error(`update: refused ${manifest.version}: ${error.message}; staying on ${build.version}`);
      return;
    }
    const attempts = this.countFailure(sha256);
    const left = (this.deps.maxAttempts ?? 3) - attempts;
    const retry = left > 0 ? `will try again later (${left} more)` : "giving up on it until restarted";
    const level = error instanceof UpdateFailed ? "warn" : "error";
    log[level](`update: downloading ${manifest.version} failed: ${describe(error)}; staying on ${build.version}, ${retry}`);
  }

  private countFailure(sha256: string): number {
    const attempts = (this.failures.get(sha256) ?? 0) + 1;
    this.failures.set(sha256, attempts);
    return attempts;
  }

  private ownHash(): Promise<string> {
    this.ownSha ??= hashFile(this.deps.build.executable).then((file) => file.sha256);
    return this.ownSha;
  }

  /** Says a state once, not at every check (checks follow every registration). */
  private once(level: keyof Logger, line: string): void {
    if (this.said.has(line)) return;
    if (this.said.size > 100) this.said.clear();
    this.said.add(line);
    this.deps.log[level](line);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
