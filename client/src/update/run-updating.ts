/**
 * The client's run with self-update around it: check at start (and update
 * before registering), check again after every registration, whenever the
 * server announces a build, and when the server refuses this version as too
 * old; a verified build stops the run (its batches go back to the server),
 * replaces this executable and takes over. Running from source there is
 * nothing to replace, and the client says so once.
 */
import type { ClientArgs } from "../config";
import { type ClientExit, runClient, type RunClientOptions } from "../client";
import type { Logger } from "../log";
import { type CompiledBuild, compiledBuild, UPDATED_FROM_ENV } from "./build-info";
import { tellPredecessorStarted } from "./handover";
import { removeLeftovers } from "./install";
import { SelfUpdater } from "./updater";
import { targetOf } from "@wotc/schema/wire/client-manifest";

export interface UpdatingRunOptions {
  /** With `fetch` when --ca is given: manifest and downloads trust the tracker's CA as registration does. */
  args: ClientArgs & Pick<RunClientOptions, "fetch" | "socket">;
  /** The command-line arguments, given again to the new build. */
  argv: string[];
  signal: AbortSignal;
  log: Logger;
  build?: CompiledBuild;
  run?: (options: RunClientOptions) => Promise<ClientExit>;
}

export async function runUpdatingClient(options: UpdatingRunOptions): Promise<number> {
  const { args, log, signal } = options;
  const run = options.run ?? runClient;
  const build = options.build ?? compiledBuild();
  if (!build) {
    log.info("running from source: self-update is off (only the compiled client updates itself)");
    return (await run({ ...args, target: targetOf(process.platform, process.arch), signal, log })).code;
  }

  const from = process.env[UPDATED_FROM_ENV];
  log.info(`wotc-client ${build.version} (${build.target})${from ? `, updated from ${from}` : ""}`);
  tellPredecessorStarted(build.version);
  // A predecessor still waiting on us owns the backup (it may need to put it back)
  if (!from) await removeLeftovers(build.executable);

  const updater = new SelfUpdater({ server: args.server, build, log, fetch: args.fetch });
  if (await updater.check("at start")) {
    const outcome = await updater.install(options.argv);
    if (outcome.kind === "exited") return outcome.code;
  }

  for (;;) {
    const restart = new AbortController();
    const look = (reason: string) =>
      void updater.check(reason).then((staged) => {
        if (!staged || restart.signal.aborted || signal.aborted) return;
        log.info(`update: stopping to install ${staged.version}; unfinished batches go back to the server`);
        restart.abort();
      });
    const exit = await run({
      ...args,
      version: build.version,
      target: build.target,
      log,
      signal: AbortSignal.any([signal, restart.signal]),
      onUpdate: (version) => look(`the server announced ${version}`),
      onRegistered: () => look("after registering"),
    });
    if (exit.reason === "outdated" && !signal.aborted) {
      // The server will not have this version: the update it distributes is the way in
      const staged = await updater.check(`the server needs ${exit.minVersion} or newer`);
      if (!staged) {
        log.error(`update: no newer build to install from the server; download it by hand (see above)`);
        return exit.code;
      }
    } else if (signal.aborted || !restart.signal.aborted || exit.reason !== "stopped") {
      await updater.discard();
      return exit.code;
    }
    const outcome = await updater.install(options.argv);
    if (outcome.kind === "exited") return outcome.code;
    // The new build did not start and the old one is back: carry on working
  }
}
