/**
 * The statistics page as a static site: the built GET /stats page (web/stats/)
 * written to DIR/index.html with its bundle under DIR/assets/, changed so it
 * works from any static host, under any path, and from file://:
 *
 * - asset addresses relative (`assets/x.js`, not `/assets/x.js`);
 * - the bundle as a deferred classic script, not a module: Chromium refuses
 *   module scripts (and `crossorigin` stylesheets) from file://, which are
 *   fetched in CORS mode from an opaque origin. The bundle has no imports
 *   (one self-contained file per page), so it runs the same either way;
 * - `data/data.js` loaded first: it sets globalThis.WOTC_STATS, which the
 *   page reads instead of asking the tracker's API (load.ts).
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { copyAtomically, writeAtomically } from "./atomic-files";
import type { WebBuild } from "../web/web-build";
import { STATS_PAGE } from "../web/pages";

const ASSET_REF = /(["'])\/assets\/([\w.-]+)\1/g;
const MODULE_SCRIPT = /<script type="module"( crossorigin)? src="assets\/([\w.-]+)"><\/script>/;

/** Writes DIR/index.html and the assets it names; resolves with the files written, relative to DIR. */
export async function writeStatsPage(build: WebBuild, dir: string): Promise<string[]> {
  const source = join(build.dir, STATS_PAGE);
  const html = await readFile(source, "utf8").catch((error: Error) => {
    throw new Error(`the statistics page is not in the web build (${source}): ${error.message}`);
  });
  const assets = [...new Set([...html.matchAll(ASSET_REF)].map((m) => m[2]!))];
  const written: string[] = [];
  for (const name of assets) {
    for (const file of [name, `${name}.map`]) {
      const from = join(build.assetsDir, file);
      if (file !== name && !(await exists(from))) continue;
      await copyAtomically(from, join(dir, "assets", file));
      written.push(`assets/${file}`);
    }
  }
  await writeAtomically(join(dir, "index.html"), forStaticHosting(html, source));
  written.push("index.html");
  return written;
}

/** The served page's HTML as the static site needs it (see the top of this file). */
export function forStaticHosting(html: string, source = STATS_PAGE): string {
  const relative = html.replace(ASSET_REF, (_m, quote: string, name: string) => `${quote}assets/${name}${quote}`);
  const script = relative.match(MODULE_SCRIPT);
  // Loud rather than a page that stays blank on file://, should the bundler's output change.
  if (!script) throw new Error(`the statistics page ${source} has no <script type="module" src="/assets/…"> to rewrite for static hosting`);
  return relative
    .replace(script[0], `<script src="data/data.js"></script><script defer src="assets/${script[2]}"></script>`)
    .replaceAll(' crossorigin href="assets/', ' href="assets/');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
