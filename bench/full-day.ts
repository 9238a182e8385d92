/**
 * `bun run bench full-day [--scale 1]`: a full-size day. The simulator (no rate
 * limit) on the real default ranges, about 26.8 million IDs and 268,000 batches,
 * an fsync-on embedded PostgreSQL, the server and 2 clients (the compiled
 * executable, bench/support/client-binary.ts) on this machine.
 * Samples the server's RSS (its DB helper workers are threads of the same
 * process) every few seconds and prints wall time, IDs/s, rows/s written, peak
 * RSS, RSS at 10/50/100% of the run, and the ingest rate as a share of raw COPY
 * measured in the same run. Checks a sample of rows against the oracle. Then
 * the lean reference loop (bench/support/lean-loop.ts) crawls the same day
 * into a fresh database on the same cluster and simulator, and the ratio of
 * the two rates is printed with the CPU seconds per million IDs of each side.
 * Targets: peak RSS < 300 MB, growth < 10% from 10% to 100%, wall <= 10 min.
 */
import { DEFAULT_CONFIG } from "@wotc/schema/config";
import { openClient } from "../server/src/db/client";
import { playerRowOn, defaultWorld } from "../tests/support/wg-sim/model";
import { measureRawCopyRate } from "./ingest";
import { CpuWindow, PgCpuMeter } from "./support/cpu";
import { runCrawl, runLean, startBenchDatabase, startSimulatorProcess } from "./support/stack";
import { benchClient } from "./support/client-binary";

const DAY = "2026-11-27";
const SEED = 1;

export async function main(args: string[]): Promise<void> {
  const scaleArg = args.indexOf("--scale");
  const scale = scaleArg >= 0 ? Number(args[scaleArg + 1]) : 1;
  const full = DEFAULT_CONFIG.ranges;
  // --scale 0.1 crawls the first tenth of each range (a quicker look at the same shape).
  const ranges = {
    xbox: { min: full.xbox.min, max: full.xbox.min + Math.round(((full.xbox.max - full.xbox.min) * scale) / 100) * 100 },
    ps: { min: full.ps.min, max: full.ps.min + Math.round(((full.ps.max - full.ps.min) * scale) / 100) * 100 },
  };
  const world = defaultWorld(SEED);
  const client = await benchClient();
  console.log(client.how);
  const database = await startBenchDatabase();
  // the simulator's own process serves defaultWorld(SEED), the world checked below
  const sim = await startSimulatorProcess({ seed: SEED, day: DAY, keys: ["full-day-key"] });
  const pg = PgCpuMeter.forCluster(database.cluster.clusterDir);
  try {
    const url = await database.create("bench_full_day");
    let lastLine = 0;
    let simCpu = new CpuWindow(sim.pid);
    pg.start();
    const run = await runCrawl({
      databaseUrl: url,
      apiBase: sim.url,
      applicationId: "full-day-key",
      rps: null,
      ranges,
      clients: 2,
      clientExecutable: client.executable,
      date: DAY,
      rssEveryMs: 2_000,
      server: { progressSeconds: 30 },
      onStatus: (status) => {
        if (performance.now() - lastLine < 30_000) return;
        lastLine = performance.now();
        const b = status.run.batches;
        console.log(`  ${((100 * b.done) / b.total).toFixed(1)}% ${status.run.idsPerSecond.toLocaleString("en-US")} IDs/s, ETA ${status.run.etaSeconds}s`);
      },
    });
    const systemPg = pg.stop().byDatabase.get("bench_full_day") ?? 0;
    const systemSim = simCpu.stop();
    const sql = openClient(url, { max: 1 });
    const [{ rows }] = await sql<{ rows: number }[]>`
      select (select count(*) from players)::float8 + (select count(*) from total_battles)::float8 + (select count(*) from diff_battles)::float8 as rows`;
    const mismatches = await checkSample(sql, world, ranges, 2_000);
    await sql.end();
    const copyRate = await measureRawCopyRate(url);
    // Gone before the lean side starts, so autovacuum does not work through the system's rows meanwhile
    await database.drop("bench_full_day");

    const leanUrl = await database.create("bench_full_day_lean");
    simCpu = new CpuWindow(sim.pid);
    pg.start();
    const lean = await runLean({ databaseUrl: leanUrl, apiBase: sim.url, applicationId: "full-day-key", ranges, date: DAY });
    const leanPg = pg.stop().byDatabase.get("bench_full_day_lean") ?? 0;
    const leanSim = simCpu.stop();

    const rss10 = run.rss.at(0.1);
    const rss50 = run.rss.at(0.5);
    // The end of the crawl, not the seconds after it when the helpers have already stopped.
    const rss100 = run.rss.samples.filter((sample) => sample.progress < 1).at(-1)?.mb;
    const growth = rss10 && rss100 ? rss100 / rss10 - 1 : NaN;
    const rowsPerSecond = rows / run.seconds;
    console.log(`full day: ${run.ids.toLocaleString("en-US")} IDs, ${run.seconds.toFixed(0)} s wall, ${Math.round(run.ids / run.seconds).toLocaleString("en-US")} IDs/s`);
    console.log(`rows written (players + total_battles + diff_battles): ${rows.toLocaleString("en-US")}, ${Math.round(rowsPerSecond).toLocaleString("en-US")} rows/s`);
    console.log(`raw COPY on the same database: ${Math.round(copyRate).toLocaleString("en-US")} rows/s; this run's ingest = ${(rowsPerSecond / copyRate).toFixed(2)} of it`);
    console.log(`server RSS: peak ${run.peakRssMb.toFixed(0)} MB; at 10% ${rss10?.toFixed(0)} MB, 50% ${rss50?.toFixed(0)} MB, 100% (last sample of the crawl) ${rss100?.toFixed(0)} MB`);
    console.log(`oracle sample: ${mismatches.length === 0 ? "2,000 random IDs match" : `${mismatches.length} mismatches, e.g. ${mismatches.slice(0, 3).join("; ")}`}`);
    const perMillion = (seconds: number) => (seconds / (run.ids / 1e6)).toFixed(2);
    const clientsCpu = run.cpu.clients.reduce((a, b) => a + b, 0);
    console.log(
      `CPU s per million IDs: server ${perMillion(run.cpu.server)}, clients ${run.cpu.clients.map(perMillion).join(" + ")}, ` +
        `their PostgreSQL backends ${perMillion(systemPg)}, simulator ${perMillion(systemSim)}`,
    );
    console.log(
      `lean reference, same day: ${lean.seconds.toFixed(0)} s, ${Math.round(lean.ids / lean.seconds).toLocaleString("en-US")} IDs/s; ` +
        `CPU s per million IDs: lean process ${perMillion(lean.cpu)}, its backends ${perMillion(leanPg)}, simulator ${perMillion(leanSim)}; ` +
        `server + clients = ${((run.cpu.server + clientsCpu) / lean.cpu).toFixed(2)}x the lean process`,
    );
    const leanRatio = run.ids / run.processSeconds / (lean.ids / lean.seconds);
    console.log(`full day: wall s = ${Math.round(run.seconds)}, peak rss MB = ${Math.round(run.peakRssMb)}, rss growth = ${growth.toFixed(2)}, full-day/lean = ${leanRatio.toFixed(2)}`);
    if (mismatches.length > 0) process.exitCode = 1;
  } finally {
    await sim.stop();
    await database.stop();
    await client.dispose();
  }
}

/** Random IDs from both ranges: the players row must be what the world says, or absent. */
async function checkSample(
  sql: ReturnType<typeof openClient>,
  world: ReturnType<typeof defaultWorld>,
  ranges: Record<"xbox" | "ps", { min: number; max: number }>,
  count: number,
): Promise<string[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = i % 2 === 0 ? ranges.xbox : ranges.ps;
    ids.push(r.min + Math.floor(Math.random() * (r.max - r.min)));
  }
  const rows = await sql<{ account_id: number; nickname: string; battles: number; damage_dealt: number }[]>`
    select account_id::float8 as account_id, nickname, battles::float8 as battles, damage_dealt::float8 as damage_dealt
    from players where account_id = any(${ids}::int8[])`;
  const found = new Map(rows.map((row) => [row.account_id, row]));
  const problems: string[] = [];
  for (const id of ids) {
    const expected = playerRowOn(world, id, DAY);
    const actual = found.get(id);
    if (!expected && !actual) continue;
    if (!expected || !actual) problems.push(`${id}: ${actual ? "in the database but not in the world" : "missing from the database"}`);
    else if (actual.nickname !== expected[1] || actual.battles !== expected[5] || actual.damage_dealt !== expected[8])
      problems.push(`${id}: database ${JSON.stringify(actual)}, world ${JSON.stringify(expected)}`);
  }
  return problems;
}
