/**
 * `bun run server`: the only module with side effects. It parses the command
 * line, turns it (and the test hooks WOTC_TEST_CLOCK, WOTC_CLIENTS_DIR,
 * WOTC_VERSION) into options for the tracker, passes signals on, prints, and
 * exits with the tracker's code.
 */
import { ConfigError, DEFAULT_CONFIG_PATH, initConfig, loadConfig } from "./config";
import { USAGE, UsageError, parseServerArgs, type ServerCommand } from "./cli";
import { TokenStore, describeTokenState } from "./tokens";
import { FastForwardClock } from "./schedule";
import { createLogSink } from "./log/log-sink";
import { openDatabase } from "./tracker/open-database";
import { startTracker } from "./tracker";
import { sendControl } from "./ctl/send-control";
import { runToolCommand } from "./commands/run";
import { restartWithTunedAllocator } from "@wotc/schema/allocator";

async function main(argv: string[]): Promise<number> {
  let command: ServerCommand;
  try {
    command = parseServerArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (command.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command.kind === "init") {
    const { written } = await initConfig(command.configPath);
    console.log(`wrote ${written.join(" and ")}; set your WG application_id in ${written[0]}`);
    return 0;
  }
  if (command.kind === "ctl") {
    const { config } = await loadConfig(command.configPath);
    const reply = await sendControl({ config, action: command.action, name: command.name, url: command.url });
    (reply.ok ? console.log : console.error)(reply.message);
    return reply.ok ? 0 : 1;
  }

  // Before anything is printed or started: the exec would drop unflushed output and orphan children
  if (command.kind === "run") restartWithTunedAllocator();
  const { log } = createLogSink(command.kind === "run" ? (command.logFormat ?? "text") : "text");
  if (command.configPath === DEFAULT_CONFIG_PATH && !(await Bun.file(DEFAULT_CONFIG_PATH).exists())) {
    // First start on a fresh clone: write the defaults rather than stop, and say what to edit.
    const { written } = await initConfig(DEFAULT_CONFIG_PATH);
    log(`no config yet: wrote ${written.join(" and ")} with the defaults`);
  }
  if (command.kind === "tool") return await runToolCommand(command, log);
  if (command.kind === "token") {
    const { config } = await loadConfig(command.configPath);
    const database = await openDatabase({ configUrl: config.database.url, dataDir: config.server.dataDir, log });
    try {
      return await manageTokens(new TokenStore(database.sql), command);
    } finally {
      await database.close();
    }
  }

  // WOTC_TEST_CLOCK=<ISO time>: tests start the clock there and cut each wait between runs to 3 s.
  const testClock = process.env.WOTC_TEST_CLOCK;
  const tracker = await startTracker({
    configPath: command.configPath,
    date: command.date,
    serve: command.serve,
    logFormat: command.logFormat,
    clock: testClock ? new FastForwardClock(Date.parse(testClock), 3_000) : undefined,
    clientsDir: process.env.WOTC_CLIENTS_DIR,
    version: process.env.WOTC_VERSION,
  });
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => void tracker.stop(signal, code));
  }
  process.on("SIGHUP", () => void tracker.refreshClientBuilds());
  return (await tracker.finished).code;
}

async function manageTokens(tokens: TokenStore, command: Extract<ServerCommand, { kind: "token" }>): Promise<number> {
  const name = command.name!;
  const done = (ok: boolean, yes: string, no: string) => {
    console.log(ok ? yes : no);
    return ok ? 0 : 1;
  };
  switch (command.action) {
    case "add": {
      const token = await tokens.add(name, { trusted: command.trusted });
      const trust = command.trusted ? "trusted (operator: never checked, may check others)" : "new (its answers are checked until it has earned trust)";
      console.log(`token for ${name}, ${trust} (shown once; give it to the volunteer, who passes it as --token):`);
      console.log(token);
      return 0;
    }
    case "list": {
      const list = await tokens.list();
      if (list.length === 0) console.log("no tokens; create one with `bun run server token add NAME`");
      for (const t of list) {
        console.log(`${t.name}\t${describeTokenState(t)}\tagreements ${t.agreements}, disagreements ${t.disagreements}\tcreated ${t.createdAt.toISOString()}${t.revokedAt ? `\trevoked ${t.revokedAt.toISOString()}` : ""}`);
      }
      return 0;
    }
    case "revoke":
      return done(await tokens.revoke(name), `revoked the token of ${name}`, `no active token named ${name}`);
    case "suspend":
      return done(await tokens.suspend(name, command.reason ?? "suspended by the operator"), `suspended the token of ${name}`, `no active, unsuspended token named ${name}`);
    case "reinstate":
      return done(
        await tokens.reinstate(name, { trusted: command.trusted }),
        `reinstated ${name}: ${command.trusted ? "trusted (operator)" : "new again (its answers are checked until it earns trust)"}`,
        `no suspended token named ${name}`,
      );
    case "trust":
      return done(await tokens.setTrust(name, "operator"), `${name} is now trusted (operator): never checked, may check others`, `no active token named ${name}`);
  }
}

main(Bun.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error) => {
    if (error instanceof ConfigError) {
      console.error(`config error in ${error.message}`);
      process.exit(2);
    }
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.WOTC_DEBUG) console.error(error);
    process.exit(1);
  });
