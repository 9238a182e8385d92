/** `bun run build:client` flags: what is built, and what is refused before anything compiles. */
import { expect, test } from "bun:test";
import { fileNameFor, parseBuildArgs } from "../../client/build";

test("by default every target is built, with a version that names the build time", () => {
  const options = parseBuildArgs([], new Date("2026-03-01T12:34:56.789Z"));
  expect(options).toMatchObject({
    targets: ["linux-x64", "linux-arm64", "windows-x64", "darwin-arm64", "darwin-x64"],
    version: "0.1.0+20260301T123456Z",
    dataDir: "data",
    partial: false,
  });
});

test("targets can be chosen, given once or repeated", () => {
  const options = parseBuildArgs(["--target", "linux-x64,windows-x64", "--target", "linux-x64", "--version", "1.2.3"]);
  expect(options).toMatchObject({ targets: ["linux-x64", "windows-x64"], version: "1.2.3" });
});

test("an unsupported target is refused with the list of supported ones", () => {
  expect(() => parseBuildArgs(["--target", "plan9-mips"])).toThrow(
    "--target plan9-mips: not a supported target (linux-x64, linux-arm64, windows-x64, darwin-arm64, darwin-x64)",
  );
});

test("a version the register request would refuse is refused here", () => {
  expect(() => parseBuildArgs(["--version", "1.0 beta"])).toThrow("--version 1.0 beta:");
  expect(() => parseBuildArgs(["--version", "x".repeat(65)])).toThrow("at most 64 characters");
});

test("files are named by version and target, .exe on Windows", () => {
  expect(fileNameFor("1.2.3", "linux-x64")).toBe("wotc-client-1.2.3-linux-x64");
  expect(fileNameFor("1.2.3", "windows-x64")).toBe("wotc-client-1.2.3-windows-x64.exe");
});
