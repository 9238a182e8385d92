/**
 * The pages' build output: `bun build` of every page in PAGES into
 * dist/web/<fingerprint>/ (gitignored), where the fingerprint hashes the page
 * sources and the bundler's version. A tracker starting finds the build for
 * its sources, or makes it (a fresh clone, a test run, the demo), so nobody
 * has to remember a build step and a stale bundle is never served. Builds go
 * to a temporary folder renamed into place: two processes starting at once
 * both end up with a whole build.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { PAGES, type PageSpec } from "./pages";

export const WEB_SOURCES = import.meta.dir;
export const DEFAULT_WEB_OUT = join(import.meta.dir, "../../../dist/web");
/** Fingerprinted builds kept side by side (other checkouts' servers may still serve theirs). */
const KEEP_BUILDS = 3;

export interface WebBuild {
  dir: string;
  /** Page route → its built HTML file. */
  pages: Map<string, string>;
  /** Built scripts, styles and their maps, by file name under `<dir>/assets/`. */
  assetsDir: string;
}

export async function ensureWebBuild(log: (line: string) => void, outRoot = DEFAULT_WEB_OUT, pages: readonly PageSpec[] = PAGES): Promise<WebBuild> {
  const fingerprint = await sourceFingerprint(pages);
  const dir = join(outRoot, fingerprint);
  if (!(await exists(join(dir, "pages.json")))) {
    const started = performance.now();
    await buildInto(dir, pages);
    log(`built the web pages into ${relative(process.cwd(), dir) || dir} in ${Math.round(performance.now() - started)} ms`);
    await pruneOldBuilds(outRoot, fingerprint);
  }
  return {
    dir,
    assetsDir: join(dir, "assets"),
    pages: new Map(pages.map((page) => [page.route, join(dir, page.entry)])),
  };
}

async function buildInto(dir: string, pages: readonly PageSpec[]): Promise<void> {
  const temporary = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const result = await Bun.build({
      entrypoints: pages.map((page) => join(WEB_SOURCES, page.entry)),
      root: WEB_SOURCES,
      outdir: temporary,
      minify: true,
      sourcemap: "linked",
      publicPath: "/",
      naming: { entry: "[dir]/[name].[ext]", chunk: "assets/[name]-[hash].[ext]", asset: "assets/[name]-[hash].[ext]" },
    });
    if (!result.success) throw new Error(result.logs.map((entry) => entry.message).join("\n"));
    await Bun.write(join(temporary, "pages.json"), JSON.stringify(pages));
    await mkdir(join(temporary, "assets"), { recursive: true });
    await rename(temporary, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same build first: theirs is as good as ours.
      if (!(await exists(join(dir, "pages.json")))) throw error;
    });
  } catch (error) {
    throw new Error(`building the web pages (${pages.map((p) => p.entry).join(", ")}) failed: ${(error as Error).message}`);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** sha256 of every file under server/src/web/ and the bundler version, so an edit means a new build. */
async function sourceFingerprint(pages: readonly PageSpec[]): Promise<string> {
  const hash = createHash("sha256").update(`bun ${Bun.version}\n${JSON.stringify(pages)}\n`);
  const files = (await readdir(WEB_SOURCES, { recursive: true })).map(String).sort();
  for (const file of files) {
    const path = join(WEB_SOURCES, file);
    if (!(await stat(path)).isFile()) continue;
    hash.update(`${file}\n`).update(await readFile(path));
  }
  const uplot = await readFile(join(WEB_SOURCES, "../../../node_modules/uplot/package.json"), "utf8").catch(() => "");
  hash.update(uplot);
  return hash.digest("hex").slice(0, 16);
}

async function pruneOldBuilds(outRoot: string, keep: string): Promise<void> {
  const entries = await readdir(outRoot, { withFileTypes: true }).catch(() => []);
  const found = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name) && entry.name !== keep)
      // Another process pruning at the same time may have removed it already.
      .map(async (entry) => ({ name: entry.name, mtime: (await stat(join(outRoot, entry.name)).catch(() => null))?.mtimeMs })),
  );
  const builds = found.filter((build): build is { name: string; mtime: number } => build.mtime !== undefined);
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_BUILDS - 1)) await rm(join(outRoot, old.name), { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
