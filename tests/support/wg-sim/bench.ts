/**
 * How fast the simulator answers 100-ID requests with the crawler's fields.
 *
 *   bun tests/support/wg-sim/bench.ts [--day 2026-11-27] [--seconds 5] [--concurrency 32] [--url http://host:port/wotx/]
 *
 * Prints the handler's own throughput (no socket: the CPU cost per request),
 * then HTTP throughput against --url (another process) or an in-process server.
 */
import { parseArgs } from "node:util";
import { WG_FIELDS } from "@wotc/schema/player";
import { startSimulator } from "./server.ts";
import { Simulator } from "./simulator.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    day: { type: "string", default: "2026-11-27" },
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "32" },
    url: { type: "string" },
  },
});
const seconds = Number(values.seconds);
const fields = WG_FIELDS.join(",");
const XBOX_BATCHES = 154_000;
const queryOf = (n: number) =>
  `account/info/?application_id=demo-key&fields=${fields}&language=en&account_id=` +
  Array.from({ length: 100 }, (_, i) => 5_000 + (n % XBOX_BATCHES) * 100 + i).join(",");

async function handlerOnly(): Promise<void> {
  const sim = new Simulator({ day: values.day });
  const base = "http://sim.local/wotx/";
  let n = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) await (await sim.handle(new Request(base + queryOf(n++)))).text();
  }
  const rate = n / ((performance.now() - started) / 1000);
  console.log(`handler only: ${rate.toFixed(0)} requests/s (${(1000 / rate).toFixed(3)} ms per 100-ID request)`);
}

async function overHttp(): Promise<void> {
  const local = values.url ? null : startSimulator({ day: values.day });
  const base = values.url ?? local!.url;
  let n = 0;
  let done = 0;
  let bytes = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Number(values.concurrency) }, async () => {
      while (performance.now() < until) {
        const body = await (await fetch(base + queryOf(n++))).text();
        if (!body.startsWith('{"status":"ok"')) throw new Error(`unexpected answer: ${body.slice(0, 200)}`);
        bytes += body.length;
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  console.log(
    `HTTP ${values.url ? "to another process" : "in-process (client shares the core)"}: ${(done / elapsed).toFixed(0)} requests/s, ` +
      `${((done * 100) / elapsed / 1e3).toFixed(0)}k IDs/s, ${(bytes / done / 1024).toFixed(1)} KiB per answer`,
  );
  await local?.stop();
}

await handlerOnly();
await overHttp();
