/**
 * The statistics page made static: the real page build written out with
 * relative addresses, a classic script (file:// refuses modules) after
 * data/data.js; a later export with a new build removes the old build's
 * assets it listed, and nothing it did not write. (That the result works in
 * a browser from file:// is tests/e2e/stats.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forStaticHosting, writeStatsPage } from "../../server/src/stats/page-export";
import { exportStatistics } from "../../server/src/stats/static-export";
import type { StatsSource } from "../../server/src/stats/source";
import { ensureWebBuild, type WebBuild } from "../../server/src/web/web-build";

let dir: string;
let build: WebBuild;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wotc-page-export-"));
  build = await ensureWebBuild(() => {});
}, 60_000);
afterAll(async () => rm(dir, { recursive: true, force: true }), 30_000);

const noStats: StatsSource = { daily: async () => [], accountAge: async () => [] };

describe("the page as a static site", () => {
  test("index.html names its assets relatively, loads data/data.js first and the bundle as a deferred classic script", async () => {
    const out = join(dir, "site");
    const files = await writeStatsPage(build, out);
    const html = await readFile(join(out, "index.html"), "utf8");
    expect(html).not.toContain('"/assets/');
    expect(html).not.toContain('type="module"');
    expect(html).not.toContain("crossorigin");
    const script = html.match(/<script src="data\/data\.js"><\/script><script defer src="assets\/([\w.-]+\.js)"><\/script>/);
    expect(script).not.toBeNull();
    const css = html.match(/<link rel="stylesheet" href="assets\/([\w.-]+\.css)">/);
    expect(css).not.toBeNull();
    for (const name of [script![1]!, css![1]!]) expect(files).toContain(`assets/${name}`);
    // Every file it lists is there, and the bundle imports nothing (a classic script could not).
    for (const file of files) expect((await readFile(join(out, file))).length).toBeGreaterThan(0);
    expect(await readFile(join(out, "assets", script![1]!), "utf8")).not.toMatch(/^import[\s{*]|[;}]import[\s{*"]|import\.meta/m);
  });

  test("HTML without the module script it expects is refused with its name, not written half-made", () => {
    expect(() => forStaticHosting("<html><head></head><body></body></html>", "stats/index.html")).toThrow(
      'the statistics page stats/index.html has no <script type="module" src="/assets/…"> to rewrite for static hosting',
    );
  });

  test("a later export with another build removes the assets the previous one listed, and keeps files it never wrote", async () => {
    const out = join(dir, "twice");
    const first = await exportStatistics(noStats, out, { web: async () => build });
    const firstAssets = first.files.filter((f) => f.startsWith("assets/"));
    expect(firstAssets.length).toBeGreaterThan(0);
    await writeFile(join(out, "assets", "operator-logo.png"), "not ours");

    // Another build: the same page whose assets have other names.
    const other = join(dir, "other-build");
    await mkdir(join(other, "assets"), { recursive: true });
    await mkdir(join(other, "stats"), { recursive: true });
    let html = await readFile(join(build.dir, "stats", "index.html"), "utf8");
    for (const asset of firstAssets.map((f) => f.slice("assets/".length))) {
      await writeFile(join(other, "assets", `new-${asset}`), await readFile(join(build.assetsDir, asset)));
      html = html.replaceAll(`/assets/${asset}"`, `/assets/new-${asset}"`);
    }
    await writeFile(join(other, "stats", "index.html"), html);
    const second = await exportStatistics(noStats, out, { web: async () => ({ dir: other, assetsDir: join(other, "assets"), pages: new Map() }) });

    const left = (await readdir(join(out, "assets"))).sort();
    expect(left).toEqual([...second.files.filter((f) => f.startsWith("assets/")).map((f) => f.slice(7)), "operator-logo.png"].sort());
    for (const old of firstAssets) expect(left).not.toContain(old.slice(7));
    const manifest = JSON.parse(await readFile(join(out, "data", "manifest.json"), "utf8"));
    expect(manifest.files).toContain("index.html");
    expect(manifest.files).not.toContain(firstAssets[0]);
  });
});
