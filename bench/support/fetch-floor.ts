/**
 * The floor for a volunteer's footprint in `bench client-rate`: the least a
 * Bun process does per WG request at a rate. It asks the simulator for 100
 * IDs at `rps` requests/s, paced by sleeps, and parses each answer; no
 * checks, no WebSocket, no rate limiter. With `group` > 1 it sends that many
 * at once, as the client does (client/src/client.ts, REQUESTS_PER_WAKEUP). What our client costs on top of it
 * is what its parts add; what it costs itself is Bun's fetch and event loop.
 *
 * This file is an entry point (spawned by bench/client-rate.ts):
 *   bun bench/support/fetch-floor.ts '{"apiBase":…,"applicationId":…,"rps":20,"seconds":60,"group":1}'
 */
import { WG_FIELDS } from "@wotc/schema/player";

interface FloorOptions {
  apiBase: string;
  applicationId: string;
  rps: number;
  seconds: number;
  /** Requests sent together, one sleep per group; default 1. */
  group?: number;
}

const options: FloorOptions = JSON.parse(process.argv[2] ?? "");
const prefix = `${options.apiBase}account/info/?application_id=${options.applicationId}&fields=${WG_FIELDS.join(",")}&language=en&account_id=`;
const started = performance.now();
let next = 5_000;
const group = Math.max(1, Math.floor(options.group ?? 1));
let requests = 0;
async function one(): Promise<void> {
  const ids: number[] = [];
  for (let i = 0; i < 100; i++) ids.push(next++);
  const body = (await (await fetch(prefix + ids.join(","))).json()) as { status?: string };
  if (body.status !== "ok") throw new Error(`the simulator answered ${JSON.stringify(body)}`);
}
while (performance.now() - started < options.seconds * 1000) {
  await (group === 1 ? one() : Promise.all(Array.from({ length: group }, one)));
  requests += group;
  await Bun.sleep(Math.max(0, started + (requests * 1000) / options.rps - performance.now()));
}
console.log(`fetch floor: ${requests} requests`);
