/** `bun run build:client` flags and checks: what is built, and what is refused before anything compiles. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildUsageError, fileNameFor, parseBuildArgs, planBuild, type BuildOptions } from "../../client/build";
import { createKey, publishFake } from "../support/release";
import { ROOT } from "../support/processes";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wotc-release-build-"));
}, 60_000);
afterAll(async () => rm(dir, { recursive: true, force: true }), 60_000);

function options(overrides: Partial<BuildOptions>): BuildOptions {
  const parsed = parseBuildArgs([], new Date(), {});
  if (parsed === "help") throw new Error("unexpected help");
  return { ...parsed, ...overrides };
}

test("by default every target is built, with a version that names the build time, signed by the key outside the checkout", () => {
  const parsed = parseBuildArgs([], new Date("2026-03-01T12:34:56.789Z"), { XDG_CONFIG_HOME: "/home/op/.config" });
  expect(parsed).toMatchObject({
    targets: ["linux-x64", "linux-arm64", "windows-x64", "darwin-arm64", "darwin-x64"],
    version: "0.1.0+20260301T123456Z",
    signingKey: "/home/op/.config/wotc-tracker/client-signing-key.pem",
    createKey: false,
    partial: false,
  });
  expect(parseBuildArgs([], new Date(), { WOTC_SIGNING_KEY: "/keys/k.pem" })).toMatchObject({ signingKey: "/keys/k.pem" });
});

test("targets can be chosen, given once or repeated; keys by flag", () => {
  const parsed = parseBuildArgs(["--target", "linux-x64,windows-x64", "--target", "linux-x64", "--version", "1.2.3", "--signing-key", "/k/s.pem", "--create-key", "--legacy-key", "/srv/data/client-signing-key.pem"]);
  expect(parsed).toMatchObject({ targets: ["linux-x64", "windows-x64"], version: "1.2.3", signingKey: "/k/s.pem", createKey: true, legacyKey: "/srv/data/client-signing-key.pem" });
});

test("an unsupported target, a flag without its value or an unknown flag is a usage error", () => {
  expect(() => parseBuildArgs(["--target", "plan9-mips"])).toThrow(
    "--target plan9-mips: not a supported target (linux-x64, linux-arm64, windows-x64, darwin-arm64, darwin-x64)",
  );
  expect(() => parseBuildArgs(["--signing-key"])).toThrow(BuildUsageError);
  expect(() => parseBuildArgs(["--public-key", "x"])).toThrow("unknown argument --public-key");
});

test("a version clients cannot compare, or the register request would refuse, is refused here", () => {
  expect(() => parseBuildArgs(["--version", "1.0 beta"])).toThrow("--version 1.0 beta: expected MAJOR.MINOR.PATCH");
  expect(() => parseBuildArgs(["--version", "1.2"])).toThrow("--version 1.2: expected MAJOR.MINOR.PATCH");
  expect(() => parseBuildArgs(["--version", `1.0.0+${"x".repeat(60)}`])).toThrow("at most 64 characters");
});

test("files are named by version and target, .exe on Windows", () => {
  expect(fileNameFor("1.2.3", "linux-x64")).toBe("wotc-client-1.2.3-linux-x64");
  expect(fileNameFor("1.2.3", "windows-x64")).toBe("wotc-client-1.2.3-windows-x64.exe");
});

test("without a signing key nothing compiles: the error says how to create one", async () => {
  const signingKey = join(dir, "missing", "key.pem");
  const attempt = planBuild(options({ signingKey, outDir: join(dir, "out-missing") }), () => {});
  await expect(attempt).rejects.toThrow(BuildUsageError);
  await expect(attempt).rejects.toThrow("create it once with --create-key");
});

test("a version below the published one is refused: clients would never install it", async () => {
  const key = await createKey(dir, "older.pem");
  const outDir = join(dir, "out-older");
  await publishFake(outDir, { version: "1.3.0", sequence: 4, files: { "linux-x64": "x" }, key });
  await expect(planBuild(options({ signingKey: key.path, outDir, version: "1.2.9" }), () => {})).rejects.toThrow(
    `--version 1.2.9 is older than 1.3.0, published in ${outDir}; clients never go back`,
  );
  const plan = await planBuild(options({ signingKey: key.path, outDir, version: "1.3.0" }), () => {});
  expect(plan.sequence).toBe(5);
});

test("the legacy key must be another key than the signing key", async () => {
  const key = await createKey(dir, "same.pem");
  await expect(planBuild(options({ signingKey: key.path, legacyKey: key.path, outDir: join(dir, "out-same") }), () => {})).rejects.toThrow(
    "--legacy-key and --signing-key are the same key",
  );
});

test("bun run build:client with a bad flag or no key exits 2 and compiles nothing", async () => {
  const bad = Bun.spawn(["bun", "client/build.ts", "--target", "plan9-mips"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  expect(await bad.exited).toBe(2);
  expect(await new Response(bad.stderr).text()).toContain("usage: bun run build:client");
  const outDir = join(dir, "out-nokey");
  const noKey = Bun.spawn(["bun", "client/build.ts", "--target", "linux-x64", "--signing-key", join(dir, "none.pem"), "--out", outDir], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await noKey.exited).toBe(2);
  expect(await new Response(noKey.stderr).text()).toContain("create it once with --create-key");
  expect(await Bun.file(join(outDir, "manifest.json")).exists()).toBe(false);
});
