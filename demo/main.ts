/**
 * `bun run demo [--once] [--port N] [--rps N] [--data DIR]`: the whole system on
 * this machine, with nothing to set up. An embedded PostgreSQL in a data
 * directory of its own (a temporary one, removed at the end; never the
 * operator's data/), the project's WG simulator, the tracker in scheduled mode
 * on a fast-forward clock, and two volunteers' clients (the real client code,
 * in this process). It crawls yesterday and today (about 200,000 IDs each),
 * then keeps the dashboard up until Ctrl-C; `--once` stops after the two days
 * and exits 0 with the summaries.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startTracker } from "../server/src/tracker";
import { FastForwardClock } from "../server/src/schedule";
import { runClient } from "../client/src/client";
import type { Logger } from "../client/src/log";
import { DEMO_KEY, DEMO_VOLUNTEERS, demoConfig, demoDays, demoWorld } from "./demo-setup";
import { startSimulatorOnClock } from "./simulator-on-clock";

const USAGE = `usage: bun run demo [--once] [--port N] [--rps N] [--data DIR]
  --once      stop after the two simulated days (exit 0) instead of keeping the dashboard up
  --port N    dashboard port (default 8899; 0 = any free port)
  --rps N     the WG key's requests per second, shared by the two clients (default 60; 0 = no limit, the default with --once)
  --data DIR  keep the demo's database in DIR (default: a temporary directory, removed at the end)`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { once: { type: "boolean", default: false }, port: { type: "string" }, rps: { type: "string" }, data: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = await choosePort(values.port === undefined ? 8899 : Number(values.port));
  const rpsFlag = values.rps === undefined ? (values.once ? 0 : 60) : Number(values.rps);
  if (!Number.isFinite(rpsFlag) || rpsFlag < 0 || !Number.isInteger(port)) {
    console.error(`error: --port and --rps take numbers\n${USAGE}`);
    return 2;
  }
  // The URL first: everything below takes a few seconds, and the page reconnects by itself.
  console.log(`dashboard: http://127.0.0.1:${port}/`);

  const dataDir = values.data ?? (await mkdtemp(join(tmpdir(), "wotc-demo-")));
  const [day1, day2] = demoDays();
  const clock = new FastForwardClock(Date.parse(`${day1}T00:29:57Z`), 2_000);
  const sim = startSimulatorOnClock({ world: demoWorld(day1), day: day1, keys: [DEMO_KEY] }, clock);
  console.log(`demo: crawling ${day1} and ${day2} (simulated, fast-forwarded), data in ${dataDir}`);
  const tracker = await startTracker({
    config: demoConfig({ port, dataDir, apiBase: sim.url, rps: rpsFlag === 0 ? null : rpsFlag }),
    serve: true,
    clock,
    // Its own embedded PostgreSQL, whatever DATABASE_URL says.
    env: {},
    clientsDir: join(dataDir, "clients"),
    version: "demo",
  });

  tracker.onRunComplete((report) => {
    if (report.date !== day2) return;
    clock.setMaxRealWait(Infinity); // no third day: the schedule now waits in real time
    if (values.once) void finish("demo: both days crawled");
    else console.log(`demo: both days crawled; the dashboard stays up at http://127.0.0.1:${port}/ until Ctrl-C`);
  });
  const stopClients = new AbortController();
  const clients: Promise<unknown>[] = [];
  // The clients hand back what they hold and leave first, so the tracker stops with nothing in flight.
  const finish = async (why: string) => {
    stopClients.abort();
    await Promise.allSettled(clients);
    await tracker.stop(why, 0);
  };
  for (const { token, name } of DEMO_VOLUNTEERS) {
    const secret = await tracker.tokens.add(token);
    clients.push(runClient({ server: tracker.url, token: secret, name, log: clientLog(name), signal: stopClients.signal }));
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void finish(signal));

  try {
    const result = await tracker.finished;
    const crawled = result.runs.map((run) => run.date);
    if (values.once && !(crawled.includes(day1) && crawled.includes(day2))) {
      console.error(`demo: stopped before both days were crawled (crawled: ${crawled.join(", ") || "none"})`);
      return 1;
    }
    console.log(`demo: done (${crawled.length} runs: ${crawled.join(", ")})`);
    return result.code;
  } finally {
    stopClients.abort();
    await Promise.allSettled(clients);
    await sim.stop();
    if (values.data === undefined) await rm(dataDir, { recursive: true, force: true });
  }
}

/** The clients' own lines would drown the tracker's: only their problems and waits are shown. */
function clientLog(name: string): Logger {
  const stamp = () => new Date().toISOString().slice(11, 19);
  return {
    info: (line) => {
      if (/^(registered|waiting:)/.test(line)) console.log(`${stamp()} [${name}] ${line}`);
    },
    warn: (line) => console.log(`${stamp()} [${name}] warning: ${line}`),
    error: (line) => console.log(`${stamp()} [${name}] error: ${line}`),
  };
}

/** Port 0 means any free one; it is found now so the URL can be printed before anything starts. */
async function choosePort(port: number): Promise<number> {
  if (port !== 0) return port;
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const chosen = probe.port!;
  await probe.stop(true);
  return chosen;
}

main(Bun.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
