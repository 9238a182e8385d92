/** The server config as loaded: paths relative to the config file, and the checks that catch typos. */
import { describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError, initConfig, loadConfig, parseConfig } from "../../server/src/config";

const minimal = {
  wg: { keys: [{ applicationId: "k", rps: 10, clients: ["*"] }] },
  ranges: { xbox: { min: 5_000, max: 15_500_000 }, ps: { min: 1_073_740_000, max: 1_085_000_000 } },
};

describe("paths in the config are relative to the config file's directory", () => {
  test("dataDir, clients.dir and the TLS files, wherever the server is started from", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-config-paths-"));
    const path = join(dir, "etc", "server.json");
    await mkdir(join(dir, "etc"));
    await writeFile(path, JSON.stringify({ ...minimal, server: { dataDir: "state" }, clients: { dir: "/srv/builds" }, tls: { cert: "tls/cert.pem", key: "tls/key.pem" } }));
    const { config } = await loadConfig(path);
    expect(config.server.dataDir).toBe(join(dir, "etc", "state"));
    expect(config.clients.dir).toBe("/srv/builds");
    expect(config.tls).toEqual({ cert: join(dir, "etc", "tls", "cert.pem"), key: join(dir, "etc", "tls", "key.pem") });
  });

  test("the default layout: config/server.json keeps its data in the checkout's data/ and finds builds in dist/clients/", () => {
    const { config } = parseConfig("config/server.json", minimal);
    expect(config.server.dataDir).toBe(resolve("data"));
    expect(config.clients.dir).toBe(resolve("dist", "clients"));
  });

  test("a config elsewhere without dataDir keeps its data beside its own directory", () => {
    const { config } = parseConfig("/srv/wotc/config/server.json", minimal);
    expect(config.server.dataDir).toBe("/srv/wotc/data");
  });

  test("an empty dataDir is an error, not the config directory", () => {
    expect(() => parseConfig("/srv/server.json", { ...minimal, server: { dataDir: "" } })).toThrow(ConfigError);
  });
});

describe("ranges are checked before anything is crawled", () => {
  const withRanges = (ranges: unknown) => () => parseConfig("/srv/server.json", { ...minimal, ranges });
  const problems = (ranges: unknown) => {
    try {
      withRanges(ranges)();
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  test("min below max, named with the numbers", () => {
    expect(problems({ xbox: { min: 6_000, max: 5_000 }, ps: minimal.ranges.ps })).toEqual(["config.ranges.xbox: min must be below max (min 6000, max 5000)"]);
  });

  test("no ID in two platforms' ranges", () => {
    expect(problems({ xbox: { min: 1_073_700_000, max: 1_073_750_000 }, ps: minimal.ranges.ps })).toEqual([
      "config.ranges: xbox [1073700000, 1073750000) and ps [1073740000, 1085000000) overlap; each account ID belongs to one platform",
    ]);
    expect(problems({ xbox: { min: 1_073_700_000, max: 1_073_740_000 }, ps: minimal.ranges.ps })).toEqual([]); // touching is not overlapping
  });

  test("a range of a sane size: one zero too many is refused, not planned", () => {
    expect(problems({ xbox: { min: 5_000, max: 155_000_000 }, ps: minimal.ranges.ps })).toEqual([
      "config.ranges.xbox: spans 154,995,000 IDs, more than the 100,000,000 one platform may (a digit too many?)",
    ]);
  });
});

describe("volunteers' own keys: wg.volunteerKeys", () => {
  const wgProblems = (wg: unknown) => {
    try {
      return { config: parseConfig("/srv/server.json", { ...minimal, wg }).config.wg, problems: [] };
    } catch (error) {
      return { config: undefined, problems: (error as ConfigError).problems };
    }
  };

  test('today\'s behaviour by default: "never", and at most 20 requests/s for a volunteer\'s key', () => {
    expect(wgProblems(minimal.wg).config).toMatchObject({ volunteerKeys: "never", volunteerMaxRps: 20 });
  });

  test('"welcome" and "required" are taken; with "required" the operator needs no key of their own', () => {
    expect(wgProblems({ ...minimal.wg, volunteerKeys: "welcome" }).config?.volunteerKeys).toBe("welcome");
    expect(wgProblems({ volunteerKeys: "required" }).config).toMatchObject({ volunteerKeys: "required", keys: [] });
  });

  test("no key at all is refused unless volunteers must bring theirs, and a misspelt policy is named", () => {
    expect(wgProblems({}).problems).toEqual(['config.wg.keys: at least one key is needed unless wg.volunteerKeys is "required"']);
    expect(wgProblems({ keys: [], volunteerKeys: "welcome" }).problems).toEqual(['config.wg.keys: at least one key is needed unless wg.volunteerKeys is "required"']);
    expect(wgProblems({ ...minimal.wg, volunteerKeys: "always" }).problems).toEqual([
      'config.wg.volunteerKeys: Invalid type: Expected ("never" | "welcome" | "required") but received "always"',
    ]);
    expect(wgProblems({ ...minimal.wg, volunteerMaxRps: 0 }).problems).toEqual(["config.wg.volunteerMaxRps: Invalid value: Expected >=0.1 but received 0"]);
  });

  test("the example written by --init explains the policy, with Wargaming's rule", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wotc-config-init-"));
    await initConfig(join(dir, "server.json"));
    const example = await Bun.file(join(dir, "server.example.jsonc")).text();
    await rm(dir, { recursive: true, force: true });
    expect(example).toContain('"volunteerKeys": "never"');
    expect(example).toMatch(/\/\/ Volunteers' own WG keys .*"required" = every client must bring its own\. Wargaming's terms forbid giving an application id to third parties/);
  });
});
