import { describe, expect, test } from "bun:test";
import { nameFromHostname, parseArgs } from "../../client/src/config";

const run = (...argv: string[]) => parseArgs(argv, "my-box");

describe("client flags", () => {
  test("--server and --token, name defaults to the hostname", () => {
    expect(run("--server", "http://localhost:8888/", "--token", "t0k")).toEqual({
      kind: "run",
      args: { server: "http://localhost:8888", token: "t0k", name: "my-box" },
    });
  });

  test("--flag=value works too, and --name overrides the hostname", () => {
    expect(run("--server=https://tracker.example.org", "--token=abc", "--name=garage.pc")).toEqual({
      kind: "run",
      args: { server: "https://tracker.example.org", token: "abc", name: "garage.pc" },
    });
  });

  test("--help wins over everything", () => {
    expect(run("--bogus", "--help")).toEqual({ kind: "help" });
  });

  const errors: [string[], string][] = [
    [["--token", "t"], "--server is required"],
    [["--server", "http://h"], "--token is required"],
    [["--server", "http://h", "--token"], "--token needs a value"],
    [["--server", "http://h", "--token", ""], "--token is empty"],
    [["--server", "nonsense", "--token", "t"], '--server: "nonsense" is not a URL'],
    [["--server", "ws://h:1", "--token", "t"], "--server: expected an http:// or https:// URL"],
    [["--server", "http://h", "--token", "t", "--name", "has space"], '--name: "has space" must be'],
    [["--server", "http://h", "--token", "t", "--verbose"], "unknown flag --verbose"],
    [["--server", "http://h", "--server", "http://i", "--token", "t"], "--server given twice"],
    [["http://h"], 'unexpected argument "http://h"'],
  ];
  for (const [argv, message] of errors) {
    test(`${argv.join(" ") || "(nothing)"} → ${message}`, () => {
      expect(() => run(...argv)).toThrow(message);
    });
  }

  test("a hostname with characters the server rejects is made safe", () => {
    expect(nameFromHostname("Jane's Laptop (2)")).toBe("Jane-s-Laptop--2-");
    expect(nameFromHostname("")).toBe("client");
    expect(nameFromHostname("x".repeat(100))).toHaveLength(64);
  });
});

describe("bun client/src/main.ts", () => {
  test("a bad flag prints the problem and the usage, and exits 2", () => {
    const proc = Bun.spawnSync(["bun", "client/src/main.ts", "--server", "http://h"], { cwd: `${import.meta.dir}/../..` });
    expect(proc.exitCode).toBe(2);
    const stderr = proc.stderr.toString();
    expect(stderr).toContain("--token is required");
    expect(stderr).toContain("usage: wotc-client --server URL --token TOKEN [--name NAME]");
  });

  test("--help prints the usage and exits 0", () => {
    const proc = Bun.spawnSync(["bun", "client/src/main.ts", "--help"], { cwd: `${import.meta.dir}/../..` });
    expect(proc.exitCode).toBe(0);
    expect(proc.stdout.toString()).toContain("--server URL");
  });
});
