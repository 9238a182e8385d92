/** Range growth: which platforms grow, and the config file as the operator finds it afterwards. */
import { describe, expect, test } from "bun:test";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../server/src/config";
import { describeGrowth, growRanges, planGrowth } from "../../server/src/growth";

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
