/**
 * The client volunteers run today, before format-2 manifests: compiled from
 * the last commit with server-signed builds, with that commit's own build
 * script, so the migration test runs the real old update code and not a
 * description of it. The sources come out of git (`git archive`) into a
 * temporary tree whose node_modules links to ours, except @wotc/schema,
 * which is that commit's.
 */
import { mkdir, readdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, spawnProc } from "./processes";

/** The tip of main when builds were still signed by the server (its key in data/client-signing-key.pem). */
export const LEGACY_COMMIT = "498900a4ab1e75ad2265b5f46e90ebb7a3e0ed27";

/** A shallow clone or a source tarball has no history to build from. */
export function legacySourcesAvailable(): boolean {
  return Bun.spawnSync(["git", "cat-file", "-e", `${LEGACY_COMMIT}^{commit}`], { cwd: ROOT, stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

export interface LegacyBuild {
  file: string;
  /** The old server's data directory, holding the key the build trusts (created by the old build script). */
  dataDir: string;
}

/** Builds the legacy client for linux-x64 into `work`; its key pair is created in `<work>/legacy-server-data`. */
export async function buildLegacyClient(work: string, version: string): Promise<LegacyBuild> {
  const tree = join(work, "legacy-source");
  await mkdir(tree, { recursive: true });
  const archive = Bun.spawn(["git", "archive", LEGACY_COMMIT, "client", "schema", "server/src/dist", "package.json", "tsconfig.json"], { cwd: ROOT, stdout: "pipe" });
  const untar = Bun.spawn(["tar", "-x", "-C", tree], { stdin: archive.stdout });
  if ((await archive.exited) !== 0 || (await untar.exited) !== 0) throw new Error(`cannot extract ${LEGACY_COMMIT} from git`);

  await mkdir(join(tree, "node_modules", "@wotc"), { recursive: true });
  for (const entry of await readdir(join(ROOT, "node_modules"))) {
    if (entry !== "@wotc") await symlink(join(ROOT, "node_modules", entry), join(tree, "node_modules", entry));
  }
  await symlink(join(tree, "schema"), join(tree, "node_modules", "@wotc", "schema"));

  const dataDir = join(work, "legacy-server-data");
  const out = join(work, "legacy-build");
  const proc = spawnProc(["bun", "client/build.ts", "--target", "linux-x64", "--version", version, "--data-dir", dataDir, "--out", out], {}, tree);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`building the legacy client exited ${code}:\n${proc.output()}`);
  return { file: join(out, `wotc-client-${version}-linux-x64`), dataDir };
}
