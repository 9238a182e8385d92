/** Range growth: which platforms grow, and the config file as the operator finds it afterwards. */
import { describe, expect, test } from "bun:test";
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../server/src/config";
import { describeGrowth, growRanges, planGrowth } from "../../server/src/growth";
import { ROOT } from "../support/processes";

const ranges = { xbox: { min: 5_000, max: 15_500_000 }, ps: { min: 1_073_740_000, max: 1_085_000_000 } };
const defaults = { margin: 50_000, step: 200_000 };

describe("planGrowth", () => {
  test("a platform whose highest account is within the margin of its max grows by the step", () => {
    expect(planGrowth(ranges, { xbox: 15_450_000, ps: 1_084_949_999 }, defaults)).toEqual([
      { platform: "xbox", highest: 15_450_000, oldMax: 15_500_000, newMax: 15_700_000 },
    ]);
  });

  test("none grows when nothing was found near the top, or nothing at all", () => {
    expect(planGrowth(ranges, { xbox: 15_449_999, ps: null }, defaults)).toEqual([]);
  });

  test("margin 0 turns growth off", () => {
    expect(planGrowth(ranges, { xbox: 15_499_999, ps: 1_084_999_999 }, { margin: 0, step: 200_000 })).toEqual([]);
  });
});

/** A config as an operator might write it: keys in his order, optional sections, 4-space indent. */
const operatorConfig = {
  ranges: { ps: { max: 1_085_000_000, min: 1_073_740_000 }, xbox: { min: 5_000, max: 15_500_000 } },
  wg: { keys: [{ applicationId: "abc", rps: 10, clients: ["*"] }] },
  server: { port: 9999, dataDir: "/srv/wotc" },
  growth: { step: 100_000 },
};

async function writeOperatorConfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wotc-growth-"));
  const path = join(dir, "server.json");
  await writeFile(path, JSON.stringify(operatorConfig, null, 4));
  return path;
}

describe("growRanges", () => {
  test("rewrites only the grown max; every other setting and the order of keys are kept; the config in memory follows", async () => {
    const path = await writeOperatorConfig();
    const { config } = await loadConfig(path);
    const report = await growRanges(path, config, { xbox: 15_480_000, ps: 1_080_000_000 });
    expect(report.grown).toEqual([{ platform: "xbox", highest: 15_480_000, oldMax: 15_500_000, newMax: 15_600_000 }]);
    const written = JSON.parse(await readFile(path, "utf8"));
    expect(written).toEqual({ ...operatorConfig, ranges: { ...operatorConfig.ranges, xbox: { min: 5_000, max: 15_600_000 } } });
    expect(JSON.stringify(written)).toBe(
      JSON.stringify({ ...operatorConfig, ranges: { ps: operatorConfig.ranges.ps, xbox: { min: 5_000, max: 15_600_000 } } }),
    );
    expect(config.ranges.xbox.max).toBe(15_600_000);
    expect((await loadConfig(path)).config.ranges.xbox.max).toBe(15_600_000);
    expect(await readdir(join(path, ".."))).toEqual(["server.json"]); // no temporary file left behind
    expect(describeGrowth(report)).toBe(
      `range growth: xbox max 15,500,000 -> 15,600,000 (highest account 15,480,000 is within 50,000 of it); ${path} rewritten`,
    );
  });

  test("nothing near the top: the file is left byte for byte as it was", async () => {
    const path = await writeOperatorConfig();
    const before = await readFile(path);
    const { config } = await loadConfig(path);
    const report = await growRanges(path, config, { xbox: 1_000_000, ps: null });
    expect(report.grown).toEqual([]);
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(describeGrowth(report)).toBe("range growth: none (no platform's highest account is near its max)");
  });

  test("edits made to the file while the server ran are kept", async () => {
    const path = await writeOperatorConfig();
    const { config } = await loadConfig(path);
    await writeFile(path, JSON.stringify({ ...operatorConfig, server: { port: 7777 } }, null, 4));
    await growRanges(path, config, { xbox: 15_480_000, ps: null });
    const written = JSON.parse(await readFile(path, "utf8"));
    expect(written.server).toEqual({ port: 7777 });
    expect(written.ranges.xbox.max).toBe(15_600_000);
  });

  test("a file that no longer loads is not replaced; the report says why", async () => {
    const path = await writeOperatorConfig();
    const { config } = await loadConfig(path);
    await writeFile(path, "{ broken");
    const report = await growRanges(path, config, { xbox: 15_480_000, ps: null });
    expect(report.error).toContain(`range growth not written to ${path}`);
    expect(await readFile(path, "utf8")).toBe("{ broken");
    expect(config.ranges.xbox.max).toBe(15_500_000);
    expect(describeGrowth(report)).toStartWith("range growth: ERROR: ");
  });
});

describe("the rewritten config stays what the operator made it", () => {
  test("its mode: a 0600 config (keys, admin token, database password) does not become readable by others", async () => {
    const path = await writeOperatorConfig();
    await chmod(path, 0o600);
    const { config } = await loadConfig(path);
    await growRanges(path, config, { xbox: 15_480_000, ps: null });
    expect(JSON.parse(await readFile(path, "utf8")).ranges.xbox.max).toBe(15_600_000);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  test("a symlinked config stays a link; the file it points to is rewritten, next to itself", async () => {
    const path = await writeOperatorConfig();
    const dir = join(path, "..");
    const managed = join(dir, "managed");
    await mkdir(managed);
    const target = join(managed, "server.json");
    await writeFile(target, await readFile(path));
    await chmod(target, 0o640);
    const link = join(dir, "link.json");
    await symlink(target, link);
    const { config } = await loadConfig(link);
    await growRanges(link, config, { xbox: 15_480_000, ps: null });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect(JSON.parse(await readFile(target, "utf8")).ranges.xbox.max).toBe(15_600_000);
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    expect(await readdir(managed)).toEqual(["server.json"]);
  });

  test.skipIf(process.getuid?.() !== 0)("its owner, when the server runs as root and the config belongs to another user", async () => {
    const path = await writeOperatorConfig();
    await chown(path, 4321, 4322);
    const { config } = await loadConfig(path);
    await growRanges(path, config, { xbox: 15_480_000, ps: null });
    const info = await stat(path);
    expect([info.uid, info.gid]).toEqual([4321, 4322]);
    expect(JSON.parse(await readFile(path, "utf8")).ranges.xbox.max).toBe(15_600_000);
  });

  const strace = Bun.which("strace");
  test.skipIf(!strace || process.platform !== "linux")("the new file and its directory are fsynced before and after the rename (seen with strace)", async () => {
    const path = await writeOperatorConfig();
    const script = `
      import { loadConfig } from "${join(ROOT, "server/src/config.ts")}";
      import { growRanges } from "${join(ROOT, "server/src/growth.ts")}";
      const { config } = await loadConfig(${JSON.stringify(path)});
      const report = await growRanges(${JSON.stringify(path)}, config, { xbox: 15_480_000, ps: null });
      if (report.error) throw new Error(report.error);`;
    const proc = Bun.spawn([strace!, "-f", "-y", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2", "bun", "-e", script], { stdout: "pipe", stderr: "pipe" });
    const [trace, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(0);
    const dir = join(path, "..");
    const calls = trace.split("\n").filter((line) => line.includes(dir));
    const fileSync = calls.findIndex((line) => /f(data)?sync\(\d+<[^>]*\.tmp>\)/.test(line));
    const rename = calls.findIndex((line) => /rename/.test(line) && line.includes("server.json"));
    const dirSync = calls.findIndex((line, i) => i > rename && new RegExp(`f(data)?sync\\(\\d+<${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}>\\)`).test(line));
    expect([fileSync >= 0, rename > fileSync, dirSync > rename]).toEqual([true, true, true]);
  });
});
