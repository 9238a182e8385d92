/**
 * `bun run server`: the only module with side effects. It parses the command
 * line, loads the config, opens the database and wires the parts together.
 */
import { ConfigError, DEFAULT_CONFIG_PATH, initConfig, loadConfig } from "./config";
import { PLACEHOLDER_APPLICATION_ID } from "@wotc/schema/config";
import { USAGE, UsageError, parseServerArgs, utcToday, type ServerCommand } from "./cli";
import { connectDatabase, type Database } from "./db/connect";
import { migrateDatabase } from "./db/migrate";
import { TokenStore, describeTokenState } from "./tokens";
import { ClientHub } from "./ws/hub";
import { createApp } from "./app";
import { DEFAULT_CLIENTS_DIR, startClientDistribution } from "./dist/distribution";
import { startHttpServer } from "./http";
import { AccessControl } from "./access/access-control";
import { loadAdminToken } from "./access/admin-token";
import { RevocationWatch } from "./access/revocation-watch";
import type { Crawl } from "./crawl/crawl";
import { runDay, type DayResult, type RunDayDeps } from "./crawl/run-day";
import { afterRun, afterRunFailed, describeAfterRun } from "./after-run";
import { DailySchedule, FastForwardClock, serveDaily, systemClock } from "./schedule";
import { formatSummary } from "./crawl/summary";
import { createRunLedger } from "./db/ledger";
import { statsFromDatabase } from "./stats/source";
import { runTool } from "./commands/run";
import { prepareCrawlRole } from "./db/roles";

const VERSION = process.env.WOTC_VERSION ?? "dev";

function log(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
}

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

  if (command.configPath === DEFAULT_CONFIG_PATH && !(await Bun.file(DEFAULT_CONFIG_PATH).exists())) {
    // First start on a fresh clone: write the defaults rather than stop, and say what to edit.
    const { written } = await initConfig(DEFAULT_CONFIG_PATH);
    log(`no config yet: wrote ${written.join(" and ")} with the defaults`);
  }
  const { config } = await loadConfig(command.configPath);
  warnAboutPlaceholders(config);
  const database = await connectDatabase({ configUrl: config.database.url, dataDir: config.server.dataDir });
  if (database.source === "embedded") log(`started the embedded PostgreSQL in ${config.server.dataDir}/postgres`);
  try {
    await migrateDatabase(database.url);
    log(`database ready (${database.source}): migrations applied`);
    if (command.kind === "token") return await manageTokens(new TokenStore(database.sql), command);
    if (command.kind === "tool") return await runTool(command.tool, { config, database, log });
    return await serve(command, config, database);
  } finally {
    await database.close();
  }
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

async function serve(
  command: Extract<ServerCommand, { kind: "run" }>,
  config: Awaited<ReturnType<typeof loadConfig>>["config"],
  database: Database,
): Promise<number> {
  const hub = new ClientHub(config, log);
  const tokens = new TokenStore(database.sql);
  let crawl: Crawl | undefined;
  // New builds in the clients directory are noticed every 30 s, or at once on SIGHUP
  const clientBuilds = await startClientDistribution({
    dataDir: config.server.dataDir,
    clientsDir: process.env.WOTC_CLIENTS_DIR ?? DEFAULT_CLIENTS_DIR,
    log,
    onNewBuild: (version) => hub.broadcast({ type: "update", version }),
  });
  process.on("SIGHUP", () => void clientBuilds.refresh());
  const admin = await loadAdminToken(config.admin.token, config.server.dataDir);
  const access = new AccessControl(config, admin.token);
  const revocations = new RevocationWatch({
    connected: () => [...hub.all()].map((session) => session.tokenHash),
    label: (hash) => [...hub.all()].find((session) => session.tokenHash === hash)?.tokenName ?? "a client",
    stillValid: (hashes) => tokens.stillValid(hashes),
    disconnect: (hash) => hub.dropToken(hash, "token revoked or replaced"),
    log,
  });
  revocations.start();
  const app = createApp({ config, hub, tokens, currentCrawl: () => crawl, version: VERSION, clientBuilds: clientBuilds.catalog, access, stats: statsFromDatabase(database.sql) });
  const { server, url } = startHttpServer(config, app);
  log(`listening on ${url}`);

  const stop = new AbortController();
  let signalName = "";
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      signalName = signal;
      log(`${signal}: stopping; batches in flight return to the queue, results already received are written`);
      // No new connections while stopping: clients back off and come back to the next server.
      void server.stop();
      stop.abort();
    });
  }

  const ledger = createRunLedger(database.sql);
  // The DB helpers write what volunteers send as a role that cannot alter or drop tables (db/roles.ts).
  const crawlRole = await prepareCrawlRole(database, config.server.dataDir);
  log(crawlRole.note);
  const dayDeps: RunDayDeps = {
    config,
    hub,
    ledger,
    databaseUrl: crawlRole.url,
    log,
    onCrawl: (c) => (crawl = c),
    afterRun: (day, summary) => afterRun({ configPath: command.configPath, config, sql: database.sql, log }, day, summary),
  };
  let afterRunTrouble = false;
  // The hub outlives runs in --serve mode: each summary counts only its own run's errors.
  let hubCountersBefore = { ...hub.counters };
  const report = (result: DayResult) => {
    if (result.stopped || !result.summary) return;
    const after = result.after ? describeAfterRun(result.after) : [];
    console.log(formatSummary(result.date, result.summary, result.seconds, errorCounts(hub, hubCountersBefore, crawl), after));
    hubCountersBefore = { ...hub.counters };
    if (result.after && afterRunFailed(result.after)) afterRunTrouble = true;
  };
  let stopped: boolean;
  if (command.serve) {
    // WOTC_TEST_CLOCK=<ISO time>: tests start the clock there and cut each wait between runs to 3 s.
    const testClock = process.env.WOTC_TEST_CLOCK;
    await serveDaily(
      {
        clock: testClock ? new FastForwardClock(Date.parse(testClock), 3_000) : systemClock,
        schedule: new DailySchedule(config.schedule.time),
        waiting: (reason) => hub.setWork(undefined, reason),
        log,
        runOne: async (day, waitReason) => {
          const result = await runDay(day, { ...dayDeps, keepClientsWaiting: waitReason }, stop.signal);
          report(result);
          return result;
        },
      },
      command.date,
      stop.signal,
    );
    stopped = true;
  } else {
    const result = await runDay(command.date ?? utcToday(), dayDeps, stop.signal);
    report(result);
    stopped = result.stopped;
  }
  hub.closeAll(stopped ? 1001 : 1000, stopped ? "server stopping" : "run complete");
  server.stop(true);
  revocations.stop();
  clientBuilds.stop();
  if (stopped) return signalName === "SIGINT" ? 130 : 143;
  // The crawl is complete, but growth or the sync needs the operator (the summary says what).
  return afterRunTrouble ? 1 : 0;
}

function warnAboutPlaceholders(config: Awaited<ReturnType<typeof loadConfig>>["config"]): void {
  config.wg.keys.forEach((key, index) => {
    if (key.applicationId === PLACEHOLDER_APPLICATION_ID) {
      log(`WARNING: config.wg.keys.${index}.applicationId is still the placeholder; clients will get INVALID_APPLICATION_ID from WG until you set your key`);
    }
  });
}

function errorCounts(hub: ClientHub, before: ClientHub["counters"], crawl: Crawl | undefined): Record<string, number> {
  const c = crawl?.counters;
  return {
    "invalid messages": hub.counters.invalidMessages - before.invalidMessages,
    "dropped clients": hub.counters.droppedClients - before.droppedClients,
    "refused results": c?.refusedResults ?? 0,
    "failed batches": c?.failedBatches ?? 0,
    "expired leases": c?.expiredLeases ?? 0,
    "database retries": c?.dbRetries ?? 0,
    "database-refused chunks": c?.dbRejectedChunks ?? 0,
  };
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
