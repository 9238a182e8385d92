/**
 * The client and the server start themselves once more with mimalloc's
 * purging off (see schema/allocator.ts): the same process, the same
 * arguments, once.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { PURGE_DELAY_ENV, tunedRestart, type ExecDeps } from "@wotc/schema/allocator";

const deps = (overrides: Partial<ExecDeps> = {}): ExecDeps => ({
  env: { PATH: "/usr/bin" },
  platform: "linux",
  execPath: "/usr/bin/bun",
  execArgv: ["--smol"],
  argv: ["/usr/bin/bun", "/src/client/src/main.ts", "--server", "https://t.example", "--token", "x"],
  main: "/src/client/src/main.ts",
  ipc: false,
  execve: () => {},
  ...overrides,
});

test("run from source: bun, its flags, the script and the client's arguments, with purging off", () => {
  expect(tunedRestart(deps())).toEqual({
    file: "/usr/bin/bun",
    args: ["/usr/bin/bun", "--smol", "/src/client/src/main.ts", "--server", "https://t.example", "--token", "x"],
    env: { PATH: "/usr/bin", [PURGE_DELAY_ENV]: "-1" },
  });
});

test("a compiled client runs itself with only the client's arguments", () => {
  const compiled = deps({ execPath: "/opt/wotc-client", execArgv: [], argv: ["bun", "/$bunfs/root/wotc-client", "--server", "s"], main: "/$bunfs/root/wotc-client" });
  expect(tunedRestart(compiled)?.args).toEqual(["/opt/wotc-client", "--server", "s"]);
});

test("not again, not over the volunteer's own setting, not on Windows, not under a profiler or inspector, not under an updating predecessor", () => {
  expect(tunedRestart(deps({ execArgv: ["--cpu-prof", "--cpu-prof-dir=/tmp/p"] }))).toBeUndefined();
  expect(tunedRestart(deps({ execArgv: ["--inspect=127.0.0.1:9229"] }))).toBeUndefined();
  expect(tunedRestart(deps({ env: { [PURGE_DELAY_ENV]: "-1" } }))).toBeUndefined();
  expect(tunedRestart(deps({ env: { [PURGE_DELAY_ENV]: "250" } }))).toBeUndefined();
  expect(tunedRestart(deps({ platform: "win32" }))).toBeUndefined();
  expect(tunedRestart(deps({ execve: undefined }))).toBeUndefined();
  expect(tunedRestart(deps({ ipc: true }))).toBeUndefined();
  expect(tunedRestart(deps({ env: { NODE_CHANNEL_FD: "3" } }))).toBeUndefined();
});

test.skipIf(process.platform !== "linux")("a started client runs as the same process with purging off", async () => {
  const client = Bun.spawn(["bun", "client/src/main.ts", "--server", "http://127.0.0.1:9", "--token", "t", "--name", "alloc-test"], {
    cwd: `${import.meta.dir}/../..`,
    env: { ...process.env, [PURGE_DELAY_ENV]: undefined },
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    // it keeps retrying the unreachable server, so it stays up to be looked at
    const environ = async () => readFileSync(`/proc/${client.pid}/environ`, "utf8").split("\0");
    let env = await environ();
    for (let i = 0; i < 100 && !env.includes(`${PURGE_DELAY_ENV}=-1`); i++) {
      await Bun.sleep(50);
      env = await environ();
    }
    expect(env).toContain(`${PURGE_DELAY_ENV}=-1`);
    expect(readFileSync(`/proc/${client.pid}/cmdline`, "utf8").split("\0")).toContain("alloc-test");
  } finally {
    client.kill();
    await client.exited;
  }
  expect(await new Response(client.stderr).text()).not.toContain("error:");
});
