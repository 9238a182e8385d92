/**
 * `bun run bench e2e`: the whole system on loopback with no API limit: server,
 * embedded PostgreSQL (fsync on), N client processes and the WG simulator,
 * 400,000 IDs, with 1 and then 2 clients. Prints IDs/s and the server's peak RSS.
 * For reference, the original Python system does ~11,600 IDs/s on this kind
 * of machine (1 client, 400,000 IDs, against a simulator).
 */
import { startSimulator } from "../tests/support/wg-sim/server";
import { runCrawl, startBenchDatabase } from "./support/stack";

const ORIGINAL_PYTHON_IDS_PER_SECOND = 11_600;

export async function main(args: string[]): Promise<void> {
  const ids = Number(args[0] ?? 400_000);
  const half = Math.floor(ids / 2 / 100) * 100;
  const ranges = { xbox: { min: 5_000, max: 5_000 + half }, ps: { min: 1_073_740_000, max: 1_073_740_000 + half } };
  const database = await startBenchDatabase();
  const sim = startSimulator({ seed: 1, day: "2026-11-27", keys: ["bench-key"] });
  const results: { clients: number; idsPerSecond: number; peakRssMb: number }[] = [];
  try {
    for (const clients of [1, 2]) {
      const url = await database.create(`bench_e2e_${clients}`);
      const run = await runCrawl({
        databaseUrl: url,
        apiBase: sim.url,
        applicationId: "bench-key",
        rps: null,
        ranges,
        clients,
        date: "2026-11-27",
      });
      const idsPerSecond = run.ids / run.seconds;
      results.push({ clients, idsPerSecond, peakRssMb: run.peakRssMb });
      console.log(
        `${clients} client${clients > 1 ? "s" : " "}: ${run.ids.toLocaleString("en-US")} IDs in ${run.seconds.toFixed(1)} s = ` +
          `${Math.round(idsPerSecond).toLocaleString("en-US")} IDs/s (${(idsPerSecond / ORIGINAL_PYTHON_IDS_PER_SECOND).toFixed(2)}x the original's ~11,600), ` +
          `server peak RSS ${run.peakRssMb.toFixed(0)} MB`,
      );
    }
  } finally {
    await sim.stop();
    await database.stop();
  }
  const best = results.reduce((a, b) => (b.idsPerSecond > a.idsPerSecond ? b : a));
  console.log(`e2e ids/s = ${Math.round(best.idsPerSecond)}, peak rss MB = ${Math.round(Math.max(...results.map((r) => r.peakRssMb)))}`);
}
