/**
 * `bun run bench trust [IDS_PER_DAY]`: what verification costs and catches.
 * Two days on the WG simulator with a durable embedded PostgreSQL, two honest
 * clients (each its own token) and one liar of each kind (its own token):
 *   start        every token is new: each answer is checked by another client;
 *   steady state the honest tokens earned trust the day before, and the liars
 *                come back as trusted tokens (as if they had earned it and then
 *                turned): only a few percent of their answers are checked.
 * and a third day with the two trusted honest clients alone, which is what
 * verification costs an operator whose volunteers behave.
 * For each liar: the answers it got in before it was suspended. For each day:
 * the WG requests spent on second opinions as a share of all requests (each
 * answer is one request, retries aside); with liars about, most of them go to
 * checking the liars. Last line:
 *   trust: caught = K of K, check overhead = X      (X: the third day)
 * Target: every liar caught on the day it lies; steady-state overhead <= 0.05.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator } from "../tests/support/wg-sim/server";
import { addToken, spawnProc, startClient, type Proc } from "../tests/support/processes";
import { LIES, type Lie } from "../tests/support/liar-client";
import { openClient } from "../server/src/db/client";
import { startBenchDatabase } from "./support/stack";

const DAYS = ["2026-11-27", "2026-11-28", "2026-11-29"] as const;

interface DayFigures {
  seconds: number;
  checks: number;
  answers: number;
  /** token → answers accepted before it was suspended (undefined: never suspended) */
  caught: Map<string, number | undefined>;
  honestSuspended: string[];
}

export async function main(args: string[]): Promise<void> {
  // A day long enough that a trusted token's early checks (about 18 a run) weigh what they do on real days.
  const ids = Number(args[0] ?? 400_000);
  const half = Math.floor(ids / 2 / 100) * 100;
  const ranges = { xbox: { min: 5_000, max: 5_000 + half }, ps: { min: 1_073_740_000, max: 1_073_740_000 + half } };
  const database = await startBenchDatabase();
  const sim = startSimulator({ seed: 7, day: DAYS[0], keys: ["bench-key"] });
  const dir = await mkdtemp(join(tmpdir(), "wotc-bench-trust-"));
  const configPath = join(dir, "server.json");
  const url = await database.create("bench_trust");
  const env = { DATABASE_URL: url };
  // 20 requests/s a client (8 clients share the key), WG's documented server-key rate: a pace the
  // machine keeps up with, so "faster than its share" means what it means in production.
  await writeFile(
    configPath,
    JSON.stringify({
      server: { host: "127.0.0.1", port: 0, progressSeconds: 10, leaseSeconds: 60, dataDir: join(dir, "data") },
      wg: { apiBase: sim.url, keys: [{ applicationId: "bench-key", rps: 160, clients: ["*"] }] },
      ranges,
      growth: { margin: 0 },
    }),
  );
  const sql = openClient(url, { max: 1 });
  try {
    const honest = [await addToken(configPath, "honest-a", env), await addToken(configPath, "honest-b", env)];
    const results: DayFigures[] = [];
    for (const [i, date] of DAYS.entries()) {
      sim.setDay(date);
      const liars: [Lie, string, string][] = [];
      for (const kind of i < 2 ? LIES : []) {
        const name = `${kind}-${i + 1}`;
        liars.push([kind, name, await addToken(configPath, name, env)]);
      }
      if (i === 1) {
        // Steady state: the liars come back trusted, as if they had earned it.
        await sql`update client_tokens set trust = 'trusted', agreements = 100 where name = any(${liars.map(([, name]) => name)})`;
        const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from client_tokens where name like 'honest-%' and trust = 'trusted'`;
        if (n !== 2) console.log(`note: only ${n} of the honest tokens earned trust on day 1`);
      }
      results.push(await crawlDay(configPath, env, date, honest, liars));
    }
    const names = ["start (new tokens, liars about)", "steady state (trusted tokens, liars about)", "steady state (trusted honest tokens alone)"];
    results.forEach((day, i) => {
      console.log(`${names[i]}, ${DAYS[i]}: ${(ids).toLocaleString("en-US")} IDs in ${day.seconds.toFixed(0)} s`);
      for (const [token, answers] of day.caught) {
        console.log(`  ${token.padEnd(12)} ${answers === undefined ? "NOT CAUGHT" : `suspended after ${answers} answers`}`);
      }
      console.log(`  second opinions: ${day.checks.toLocaleString("en-US")} of ${day.answers.toLocaleString("en-US")} answers = ${(day.checks / day.answers).toFixed(3)}`);
      if (day.honestSuspended.length > 0) console.log(`  HONEST TOKENS SUSPENDED: ${day.honestSuspended.join(", ")}`);
    });
    const all = results.flatMap((d) => [...d.caught.values()]);
    const caught = all.filter((a) => a !== undefined).length;
    const steady = results[2]!;
    console.log(`trust: caught = ${caught} of ${all.length}, check overhead = ${(steady.checks / steady.answers).toFixed(3)}`);
  } finally {
    await sql.end();
    await sim.stop();
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function crawlDay(configPath: string, env: Record<string, string>, date: string, honest: string[], liars: [Lie, string, string][]): Promise<DayFigures> {
  const server: Proc = spawnProc(["bun", "server/src/main.ts", "--config", configPath, "--date", date], env);
  const port = (await server.waitFor(/listening on http:\/\/[^:]+:(\d+)/, 60_000))[1];
  const url = `http://127.0.0.1:${port}`;
  await server.waitFor(/starting run|resuming run/, 60_000);
  const started = performance.now();
  const clients = honest.map((token, i) => startClient(url, token, `honest-${i + 1}`));
  const dishonest = liars.map(([kind, name, token]) =>
    spawnProc(["bun", "tests/support/liar-client.ts", "--server", url, "--token", token, "--name", name, "--lie", kind]),
  );
  const code = await server.exited;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([...clients, ...dishonest].map((p) => p.exited));
  const output = server.output();
  if (code !== 0) throw new Error(`server exited ${code}:\n${output.slice(-4000)}`);
  const opinions = output.match(/second opinions: ([\d,]+) of ([\d,]+) answers/);
  const number = (text: string) => Number(text.replace(/,/g, ""));
  const caught = new Map<string, number | undefined>();
  for (const [, name] of liars) {
    const line = output.match(new RegExp(`token ${name}: SUSPENDED \\(.*\\); ([\\d,]+) results`));
    caught.set(name, line ? number(line[1]!) : undefined);
  }
  const honestSuspended = ["honest-a", "honest-b"].filter((name) => new RegExp(`token ${name}: SUSPENDED`).test(output));
  return { seconds, checks: number(opinions?.[1] ?? "0"), answers: number(opinions?.[2] ?? "1"), caught, honestSuspended };
}
