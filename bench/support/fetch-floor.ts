/**
 * The floor for a volunteer's footprint in `bench client-rate`: the least a
 * Bun process does per WG request at a rate. It asks the simulator for 100
 * IDs at `rps` requests/s, paced by sleeps, and parses each answer; no
 * checks, no WebSocket, no rate limiter. What our client costs on top of it
 * is what its parts add; what it costs itself is Bun's fetch and event loop.
 *
 * This file is an entry point (spawned by bench/client-rate.ts):
 *   bun bench/support/fetch-floor.ts '{"apiBase":…,"applicationId":…,"rps":20,"seconds":60}'
 */
import { WG_FIELDS } from "@wotc/schema/player";

interface FloorOptions {
  apiBase: string;
  applicationId: string;
  rps: number;
  seconds: number;
}

const options: FloorOptions = JSON.parse(process.argv[2] ?? "");
const prefix = `${options.apiBase}account/info/?application_id=${options.applicationId}&fields=${WG_FIELDS.join(",")}&language=en&account_id=`;
const started = performance.now();
let next = 5_000;
let requests = 0;
while (performance.now() - started < options.seconds * 1000) {
  const ids: number[] = [];
  for (let i = 0; i < 100; i++) ids.push(next++);
  const body = (await (await fetch(prefix + ids.join(","))).json()) as { status?: string };
  if (body.status !== "ok") throw new Error(`the simulator answered ${JSON.stringify(body)}`);
  requests++;
  await Bun.sleep(Math.max(0, started + (requests * 1000) / options.rps - performance.now()));
}
console.log(`fetch floor: ${requests} requests`);
