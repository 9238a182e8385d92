/**
 * `bun run client --server URL --token TOKEN [--name NAME]`: the only module
 * with side effects. Exit codes: 0 done or stopped, 1 refused by the server,
 * 2 bad flags.
 */
import { hostname } from "node:os";
import { restartWithTunedAllocator } from "@wotc/schema/allocator";
import { consoleLogger } from "./log";
import { compiledBuild, describeSelf, SELF_CHECK_ENV } from "./update/build-info";
import { runUpdatingClient } from "./update/run-updating";
import { parseArgs, USAGE, UsageError, type ClientArgs } from "./config";
import { fetchTrustingServerCa } from "./register";
import { socketTrustingCa } from "./session";
import type { RunClientOptions } from "./client";
import { plainHttpWarning } from "./urls";

async function main(): Promise<number> {
  // An updating predecessor asks a new build what it is before installing it
  const selfCheck = process.env[SELF_CHECK_ENV];
  if (selfCheck) {
    process.stdout.write(`${describeSelf(compiledBuild(), selfCheck)}\n`);
    return 0;
  }
  let parsed;
  let ca: string | undefined;
  try {
    parsed = parseArgs(process.argv.slice(2), hostname());
    if (parsed.kind === "run" && parsed.args.ca) ca = await readCa(parsed.args.ca);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.kind === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  restartWithTunedAllocator();

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: string) => {
    // A second Ctrl-C means "now", not "gracefully"
    if (++signals > 1) process.exit(130);
    process.stderr.write(`${name}: handing unfinished batches back and closing…\n`);
    controller.abort(new Error(name));
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

  const plain = plainHttpWarning(parsed.args.server, parsed.args.ownKey !== undefined);
  if (plain) consoleLogger.warn(plain);
  let args: ClientArgs & Pick<RunClientOptions, "fetch" | "socket"> = parsed.args;
  if (ca) {
    // runClient receives these through the args: registration and the socket trust the CA, WG requests do not
    args = { ...args, fetch: fetchTrustingServerCa(args.server, ca), socket: socketTrustingCa(ca) };
  }
  return runUpdatingClient({ args, argv: process.argv.slice(2), signal: controller.signal, log: consoleLogger });
}

/** A --ca file that cannot be read is a usage error like a bad flag: exit 2, before anything connects. */
async function readCa(path: string): Promise<string> {
  try {
    return await Bun.file(path).text();
  } catch (error) {
    throw new UsageError(`--ca: cannot read ${path}: ${(error as Error).message}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
