import { describe, expect, test } from "bun:test";
import { nameFromHostname, parseArgs } from "../../client/src/config";

const run = (...argv: string[]) => parseArgs(argv, "my-box", { env: {} });

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
    [["--server", "http://h"], "--token is required (or --token-file FILE, or the WOTC_TOKEN environment variable)"],
    [["--server", "http://h", "--token", "t", "--token-file", "/f"], "give --token or --token-file, not both"],
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

  test("the token from a file (so it is not in the process list) or from WOTC_TOKEN; a flag wins over the environment", () => {
    const files: Record<string, string> = { "/etc/wotc/token": "-starts-with-a-dash\n", "/empty": " \n", "/two": "a b\n" };
    const readFile = (path: string) => {
      if (!(path in files)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return files[path]!;
    };
    const parse = (env: Record<string, string>, ...argv: string[]) => parseArgs(["--server", "http://h", ...argv], "my-box", { env, readFile });
    expect(parse({}, "--token-file", "/etc/wotc/token")).toMatchObject({ args: { token: "-starts-with-a-dash" } });
    expect(parse({ WOTC_TOKEN: " from-env\n" })).toMatchObject({ args: { token: "from-env" } });
    expect(parse({ WOTC_TOKEN: "from-env" }, "--token", "from-flag")).toMatchObject({ args: { token: "from-flag" } });
    expect(parse({ WOTC_TOKEN: "from-env" }, "--token-file", "/etc/wotc/token")).toMatchObject({ args: { token: "-starts-with-a-dash" } });
    expect(() => parse({}, "--token-file", "/missing")).toThrow("--token-file: cannot read /missing: ENOENT");
    expect(() => parse({}, "--token-file", "/empty")).toThrow("--token-file: /empty is empty");
    expect(() => parse({}, "--token-file", "/two")).toThrow("--token-file: /two should hold the token alone, on one line");
    expect(() => parse({ WOTC_TOKEN: "  " })).toThrow("--token is required");
  });

  test("a hostname with characters the server rejects is made safe", () => {
    expect(nameFromHostname("Jane's Laptop (2)")).toBe("Jane-s-Laptop--2-");
    expect(nameFromHostname("")).toBe("client");
    expect(nameFromHostname("x".repeat(100))).toHaveLength(64);
  });
});

describe("the volunteer's own WG key", () => {
  const KEY = "0123456789abcdef0123456789abcdef";
  const files: Record<string, string> = { "/home/v/wg-key": `${KEY}\n`, "/empty": "\n", "/two": `${KEY} ${KEY}\n` };
  const readFile = (path: string) => {
    if (!(path in files)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return files[path]!;
  };
  const parse = (env: Record<string, string>, ...argv: string[]) => parseArgs(["--server", "http://h", "--token", "t", ...argv], "my-box", { env, readFile });
  const ownKey = (env: Record<string, string>, ...argv: string[]) => {
    const parsed = parse(env, ...argv);
    return parsed.kind === "run" ? parsed.args.ownKey : undefined;
  };

  test("none by default: the server's key is used", () => {
    expect(ownKey({})).toBeUndefined();
  });

  test("from --application-id, --application-id-file or WOTC_APPLICATION_ID (a flag wins), at the documented 10 req/s per key unless told", () => {
    const expected = { applicationId: KEY, rps: 10, per: "key" as const };
    expect(ownKey({}, "--application-id", KEY)).toEqual(expected);
    expect(ownKey({}, "--application-id-file", "/home/v/wg-key")).toEqual(expected);
    expect(ownKey({ WOTC_APPLICATION_ID: ` ${KEY}\n` })).toEqual(expected);
    expect(ownKey({ WOTC_APPLICATION_ID: "ffffffffffffffffffffffffffffffff" }, "--application-id-file", "/home/v/wg-key")).toEqual(expected);
    expect(ownKey({}, "--application-id", KEY, "--rps", "20", "--rps-per", "address")).toEqual({ applicationId: KEY, rps: 20, per: "address" });
    expect(ownKey({}, "--application-id", KEY, "--rps=2.5")).toEqual({ applicationId: KEY, rps: 2.5, per: "key" });
  });

  const errors: [string[], string][] = [
    [["--application-id", KEY, "--application-id-file", "/home/v/wg-key"], "give --application-id or --application-id-file, not both"],
    [["--application-id-file", "/missing"], "--application-id-file: cannot read /missing: ENOENT"],
    [["--application-id-file", "/empty"], "--application-id-file: /empty is empty"],
    [["--application-id-file", "/two"], "--application-id-file: /two should hold the application id alone, on one line"],
    [["--application-id", "not/a key?"], "the application id (10 characters) should be letters and digits only"],
    [["--rps", "5"], "--rps describes your own WG key: give it with --application-id-file FILE"],
    [["--rps-per", "address"], "--rps-per describes your own WG key"],
    [["--application-id", KEY, "--rps", "fast"], '--rps: "fast" should be the requests per second your key allows, from 0.1 to 1000'],
    [["--application-id", KEY, "--rps", "0"], '--rps: "0" should be'],
    [["--application-id", KEY, "--rps", "5000"], '--rps: "5000" should be'],
    [["--application-id", KEY, "--rps-per", "ip"], '--rps-per: expected "key" or "address", got "ip"'],
  ];
  for (const [argv, message] of errors) {
    test(`${argv.join(" ")} → ${message}`, () => {
      expect(() => parse({}, ...argv)).toThrow(message);
    });
  }

  test("no usage error quotes the key", () => {
    const secret = "a".repeat(31) + "!";
    let message = "";
    try {
      parse({ WOTC_APPLICATION_ID: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("32 characters");
    expect(message).not.toContain(secret);
  });
});

describe("bun client/src/main.ts", () => {
  test("a bad flag prints the problem and the usage, and exits 2", () => {
    const proc = Bun.spawnSync(["bun", "client/src/main.ts", "--server", "http://h"], { cwd: `${import.meta.dir}/../..` });
    expect(proc.exitCode).toBe(2);
    const stderr = proc.stderr.toString();
    expect(stderr).toContain("--token is required");
    for (const argv of [["--server", "http://h", "--token-file", "/nonexistent/token"], ["--server", "https://h", "--token", "t", "--ca", "/nonexistent/ca.pem"]]) {
      const unreadable = Bun.spawnSync(["bun", "client/src/main.ts", ...argv], { cwd: `${import.meta.dir}/../..` });
      expect([unreadable.exitCode, unreadable.stderr.toString()]).toEqual([2, expect.stringContaining(`cannot read /nonexistent/`)]);
    }
    expect(stderr).toContain("usage: wotc-client --server URL --token TOKEN [--name NAME]");
  });

  test("a usage error about the own key exits 2 and does not print the key", () => {
    const key = "0123456789abcdef0123456789abcdef";
    const cases: [string[], string][] = [
      [["--rps", "5"], "error: --rps describes your own WG key"],
      [["--application-id", key, "--rps", "-1"], 'error: --rps: "-1" should be'],
      [["--application-id", key, "--rps-per", "ip"], "error: --rps-per: expected"],
      [["--application-id", `${key}?`], "error: the application id (33 characters) should be"],
    ];
    for (const [argv, message] of cases) {
      const proc = Bun.spawnSync(["bun", "client/src/main.ts", "--server", "http://h", "--token", "t", ...argv], { cwd: `${import.meta.dir}/../..` });
      expect([proc.exitCode, proc.stderr.toString()]).toEqual([2, expect.stringContaining(message)]);
      expect(proc.stderr.toString()).not.toContain(key);
    }
  });

  test("--help prints the usage and exits 0", () => {
    const proc = Bun.spawnSync(["bun", "client/src/main.ts", "--help"], { cwd: `${import.meta.dir}/../..` });
    expect(proc.exitCode).toBe(0);
    expect(proc.stdout.toString()).toContain("--server URL");
  });
});
