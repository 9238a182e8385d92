/**
 * The whole running tracker as one object: `startTracker(options)` loads the
 * config, opens and migrates the database, builds the hub, token store,
 * client distribution, access control, revocation watch, dashboard, metrics
 * and HTTP listener, and starts the day's run (or the `serve` schedule).
 * Everything it needs comes in through `options` (no environment hooks, no
 * module state), so a test can start two in one process. main.ts only turns
 * the command line and signals into options and calls.
 */
import { PLACEHOLDER_APPLICATION_ID, type ServerConfig, type ServerConfigInput } from "@wotc/schema/config";
import { DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from "./config";
import { TokenStore } from "./tokens";
import { ClientHub } from "./ws/hub";
import { createApp } from "./app";
import { startClientDistribution } from "./client-builds/distribution";
import { startHttpServer } from "./http";
import { AccessControl } from "./access/access-control";
import { exposureWarnings } from "./access/exposure";
import { redactApplicationIds } from "@wotc/schema/wg";
import { loadAdminToken } from "./access/admin-token";
import { RevocationWatch } from "./access/revocation-watch";
import type { Crawl } from "./crawl/crawl";
import { systemClock, type Clock } from "./schedule";
import { createRunLedger } from "./db/ledger";
import { playersFound } from "./db/queries/players-found";
import { createLogSink, stdoutWriter, type LogFormat } from "./log/log-sink";
import { EventRing } from "./events/event-ring";
import { classifyLine } from "./events/classify-line";
import { TrackerMetrics } from "./metrics/tracker-metrics";
import { openDatabase } from "./tracker/open-database";
import { LeasingControls } from "./tracker/leasing-controls";
import { VolunteerTally } from "./tracker/volunteer-tally";
import { RunHistory } from "./tracker/run-history";
import { DashboardFeed, type DashboardSnapshot, type TrackerPhase } from "./tracker/dashboard-feed";
import { runDays, type RunReport } from "./tracker/day-loop";
import { TrackerControls } from "./tracker/controls";
import { ensureWebBuild } from "./web/web-build";
import type { ControlAction, ControlReply } from "./ctl/actions";
import { statsFromDatabase } from "./stats/source";
import { prepareCrawlRole } from "./db/roles";

export interface TrackerOptions {
  /** The config file (default config/server.json); range growth rewrites it. */
  configPath?: string;
  /** The config itself instead of a file (tests, the demo); range growth is then off. */
  config?: ServerConfigInput;
  /** The UTC day to crawl (default today by `clock`); with `serve`, run first. */
  date?: string;
  /** Scheduled mode: keep serving and run each day at `schedule.time`. */
  serve?: boolean;
  /** Time for the schedule (default the system clock; tests and the demo fast-forward). */
  clock?: Clock;
  /** Where published client builds are read from (default the config's clients.dir). */
  clientsDir?: string;
  /** Overrides `server.logFormat`. */
  logFormat?: LogFormat;
  /** Where log lines and summaries go, one line or report per call (default stdout). */
  output?: (text: string) => void;
  /** The database URL; wins over `database.url` and DATABASE_URL. */
  databaseUrl?: string;
  /** Where DATABASE_URL is looked up (default process.env). */
  env?: Record<string, string | undefined>;
  /** Overrides `server.dataDir` (the embedded PostgreSQL, keys, offload files). */
  dataDir?: string;
  version?: string;
}

export type TrackerOutcome = "complete" | "stopped" | "drained";

export interface TrackerResult {
  /** The process exit code this outcome means. */
  code: number;
  outcome: TrackerOutcome;
  runs: RunReport[];
}

export interface Tracker {
  /** Where it listens, e.g. http://127.0.0.1:8888 */
  readonly url: string;
  readonly config: ServerConfig;
  readonly tokens: TokenStore;
  readonly adminToken: string;
  /** What the dashboard shows an admin. */
  status(): DashboardSnapshot;
  /** The Prometheus text of GET /metrics. */
  metrics(): Promise<string>;
  /** The operator's controls, as the dashboard and `ctl` call them; `who` goes into the log line. */
  control(action: ControlAction, name: string | undefined, who: string): Promise<ControlReply>;
  /** Called after each complete run with its summary; returns the unsubscribe function. */
  onRunComplete(listener: (report: RunReport) => void): () => void;
  /** Looks for a new client build now (SIGHUP). */
  refreshClientBuilds(): Promise<void>;
  /** Stops as on a signal: leases return to the queue, what clients sent is written. `code` is the result's exit code. */
  stop(why?: string, code?: number): Promise<TrackerResult>;
  /** Resolves when the tracker has stopped (run complete, stopped, or drained); rejects if it failed. */
  readonly finished: Promise<TrackerResult>;
}

export async function startTracker(options: TrackerOptions = {}): Promise<Tracker> {
  const output = options.output ?? stdoutWriter;
  const { config, configPath } = await loadTrackerConfig(options);
  if (options.dataDir) config.server.dataDir = options.dataDir;
  const sink = createLogSink(options.logFormat ?? config.server.logFormat, output);
  const events = new EventRing();
  const keys = config.wg.keys.map((key) => key.applicationId);
  const log = (raw: string) => {
    // No WG key in any line: WG's INVALID_APPLICATION_ID echoes it, and clients' failure reasons carry it on
    const line = redactApplicationIds(raw, keys);
    sink.log(line);
    const kind = classifyLine(line);
    if (kind) events.add(kind, line);
  };
  if (configPath === undefined && config.growth.margin > 0) {
    config.growth.margin = 0;
    log("range growth is off: the config came as an object, with no file to rewrite");
  }
  warnAboutPlaceholders(config, log);
  const database = await openDatabase({ url: options.databaseUrl, configUrl: config.database.url, dataDir: config.server.dataDir, env: options.env, log });
  try {
    return await assemble({ options, config, configPath, database, sink, log, events });
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function loadTrackerConfig(options: TrackerOptions): Promise<{ config: ServerConfig; configPath: string | undefined }> {
  // A config without a file: its relative paths are taken from the working directory
  if (options.config) return { config: parseConfig("options.config", structuredClone(options.config), process.cwd()).config, configPath: options.configPath };
  const path = options.configPath ?? DEFAULT_CONFIG_PATH;
  return { config: (await loadConfig(path)).config, configPath: path };
}

type Assembly = {
  options: TrackerOptions;
  config: ServerConfig;
  configPath: string | undefined;
  database: Awaited<ReturnType<typeof openDatabase>>;
  sink: ReturnType<typeof createLogSink>;
  log: (line: string) => void;
  events: EventRing;
};

async function assemble({ options, config, configPath, database, sink, log, events }: Assembly): Promise<Tracker> {
  const version = options.version ?? "dev";
  const clock = options.clock ?? systemClock;
  // The crawl matters more than its dashboard: a page that does not build is reported and not served.
  const web = await ensureWebBuild(log).catch((error: Error) => {
    log(`ERROR: ${error.message}; the dashboard is not served, everything else runs`);
    return { error: error.message };
  });
  const metrics = new TrackerMetrics(version);
  const hub = new ClientHub(config, log, {
    refused: (session, error, invalid) => {
      if (!invalid) metrics.resultRefused(error);
      events.add("refused", `${invalid ? "bad message" : "result refused"} from ${session.name} (${session.address}): ${error}`);
    },
  });
  const tokens = new TokenStore(database.sql);
  // The DB helpers write what volunteers send as a role that cannot alter or drop tables (db/roles.ts).
  const crawlRole = await prepareCrawlRole(database, config.server.dataDir);
  log(crawlRole.note);
  let crawl: Crawl | undefined;
  let phase: TrackerPhase = "starting";
  let waiting: string | null = null;
  const foundBefore = new WeakMap<Crawl, number>();

  // New builds in the clients directory are noticed every 30 s, or at once on refreshClientBuilds (SIGHUP)
  const clientBuilds = await startClientDistribution({
    dataDir: config.server.dataDir,
    clientsDir: options.clientsDir ?? config.clients.dir,
    log,
    onNewBuild: (buildVersion) => hub.broadcast({ type: "update", version: buildVersion }),
  });
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

  const stopController = new AbortController();
  let stopping: { outcome: TrackerOutcome; code: number } | undefined;
  const leasing = new LeasingControls(
    log,
    () => crawl?.fillAll(),
    () => watchDrain(),
  );
  let wake: AbortController | undefined;
  const controls = new TrackerControls({ serve: options.serve ?? false, leasing, hub, tokens, log, phase: () => phase, crawl: () => crawl, wake: () => wake });
  const tally = new VolunteerTally((keyIndex) => hub.keys.rateOf(keyIndex));
  const history = new RunHistory(database.sql);
  void history.refresh(); // the page shows "no run yet" for the moment it takes
  history.start();
  const feed = new DashboardFeed({
    version,
    mode: options.serve ? "serve" : "run",
    hub,
    crawl: () => crawl,
    phase: () => ({ phase, waiting }),
    foundBefore: (c) => foundBefore.get(c) ?? 0,
    leasing,
    events,
    history,
    tally,
    metrics,
    controls: controls.available,
  });
  feed.start();

  const app = createApp({
    config,
    hub,
    tokens,
    currentCrawl: () => crawl,
    version,
    clientBuilds: clientBuilds.catalog,
    access,
    log,
    stats: statsFromDatabase(database.sql),
    console: { feed, metrics, web, adminToken: admin.token, control: (action, name, who) => controls.run(action, name, who) },
  });
  const { server, url } = startHttpServer(config, app);
  log(`listening on ${url}`);
  for (const warning of exposureWarnings(config)) log(`WARNING: ${warning}`);

  const runListeners = new Set<(report: RunReport) => void>();
  const stopWith = (outcome: TrackerOutcome, code: number) => {
    if (stopping) return;
    stopping = { outcome, code };
    phase = "stopping";
    // No new connections while stopping: clients back off and come back to the next server.
    void server.stop();
    stopController.abort();
  };
  let drainTimer: ReturnType<typeof setInterval> | undefined;
  function watchDrain(): void {
    const check = () => {
      const counts = crawl?.book.counts;
      if (crawl && crawl.state === "crawling" && counts && counts.leased + counts.checking > 0) return;
      clearInterval(drainTimer);
      log("drained: no batch is in flight; stopping");
      stopWith("drained", 0);
    };
    drainTimer = setInterval(check, 200);
    check();
  }

  const finished = (async (): Promise<TrackerResult> => {
    try {
      const result = await runDays(
        {
          config,
          configPath,
          sql: database.sql,
          databaseUrl: crawlRole.url,
          hub,
          ledger: createRunLedger(database.sql),
          tokens,
          log,
          sink,
          clock,
          gate: leasing,
          onCrawl: (next) => {
            feed.sample(); // the last figures of the crawl before go into the tally and metrics
            crawl = next;
            if (next) {
              phase = "crawling";
              waiting = null;
              void playersFound(database.sql, next.date).then((found) => foundBefore.set(next, found), () => undefined);
            }
            feed.sample();
          },
          onWaiting: (reason) => {
            phase = "waiting";
            waiting = reason;
          },
          wake: () => (wake = new AbortController()).signal,
          onRunComplete: (report) => {
            events.add("run", report.text.split("\n", 1)[0]!);
            if (!report.result.alreadyComplete) history.runCompleted(Date.now());
            feed.sample();
            void history.refresh();
            for (const listener of runListeners) listener(report);
          },
        },
        { serve: options.serve ?? false, date: options.date },
        stopController.signal,
      );
      hub.closeAll(result.stopped ? 1001 : 1000, result.stopped ? "server stopping" : "run complete");
      if (!result.stopped) return { code: result.afterRunTrouble ? 1 : 0, outcome: "complete", runs: result.runs };
      return { code: stopping?.code ?? 0, outcome: stopping?.outcome ?? "stopped", runs: result.runs };
    } finally {
      phase = "finished";
      clearInterval(drainTimer);
      feed.stop();
      await history.stop();
      server.stop(true);
      revocations.stop();
      clientBuilds.stop();
      await database.close();
    }
  })();
  finished.catch(() => undefined); // handled by whoever awaits it; never an unhandled rejection meanwhile

  return {
    url,
    config,
    tokens,
    adminToken: admin.token,
    status: () => feed.snapshot(true),
    metrics: () => {
      feed.sample();
      return metrics.text();
    },
    control: (action, name, who) => controls.run(action, name, who),
    onRunComplete: (listener) => {
      runListeners.add(listener);
      return () => runListeners.delete(listener);
    },
    refreshClientBuilds: async () => {
      await clientBuilds.refresh();
    },
    stop: (why = "stop requested", code = 0) => {
      if (!stopping) {
        log(`${why}: stopping; batches in flight return to the queue, results already received are written`);
        stopWith("stopped", code);
      }
      return finished;
    },
    finished,
  };
}

function warnAboutPlaceholders(config: ServerConfig, log: (line: string) => void): void {
  // With volunteers' keys required the operator's are given to no client
  if (config.wg.volunteerKeys === "required") return;
  config.wg.keys.forEach((key, index) => {
    if (key.applicationId === PLACEHOLDER_APPLICATION_ID) {
      log(`WARNING: config.wg.keys.${index}.applicationId is still the placeholder; clients will get INVALID_APPLICATION_ID from WG until you set your key`);
    }
  });
}
