/**
 * `bun run sim`: the WG API simulator as a standalone process.
 *
 *   bun tests/support/wg-sim/main.ts --port 8100 --seed 1 --day 2026-11-27 --rps 20 --faults 0.05
 *
 * --limiter token-bucket|sliding-window and --counted-per key|address choose
 * how --rps is counted (rate-limit.ts).
 *
 * --faults spreads one probability evenly over every fault kind; --fault-<kind>
 * sets one kind (source-not-available, html502, http500, truncated, slow).
 */
import { parseArgs } from "node:util";
import { todayUtc } from "./days.ts";
import { FAULT_KINDS, type Faults, spreadFaults } from "./faults.ts";
import { COUNTED_PER, type CountedPer, LIMITER_KINDS, type LimiterKind } from "./rate-limit.ts";
import { startSimulator } from "./server.ts";
import { DEFAULT_EPOCH } from "./world.ts";

const USAGE = `usage: bun tests/support/wg-sim/main.ts [--port 8100] [--host 127.0.0.1] [--seed 1] [--day YYYY-MM-DD]
       [--keys k1,k2] [--rps N] [--limiter token-bucket|sliding-window] [--counted-per key|address]
       [--faults P] [--fault-seed N] [--slow-ms MS]
       [--fault-source-not-available P] [--fault-html502 P] [--fault-http500 P] [--fault-truncated P] [--fault-slow P]`;

const KIND_FLAGS: Record<string, (typeof FAULT_KINDS)[number]> = {
  "fault-source-not-available": "sourceNotAvailable",
  "fault-html502": "html502",
  "fault-http500": "http500",
  "fault-truncated": "truncated",
  "fault-slow": "slow",
};

function numberFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw new Error(`--${name} ${JSON.stringify(text)}: expected a number`);
  return n;
}

function choiceFlag<T extends string>(name: string, text: string | undefined, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new Error(`--${name} ${JSON.stringify(text)}: expected one of ${choices.join(", ")}`);
  return text as T;
}

function main(): void {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      port: { type: "string", default: "8100" },
      host: { type: "string", default: "127.0.0.1" },
      seed: { type: "string", default: "1" },
      day: { type: "string" },
      keys: { type: "string" },
      rps: { type: "string" },
      limiter: { type: "string" },
      "counted-per": { type: "string" },
      faults: { type: "string" },
      "fault-seed": { type: "string" },
      "slow-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
      ...Object.fromEntries(Object.keys(KIND_FLAGS).map((flag) => [flag, { type: "string" as const }])),
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const faults: Faults = spreadFaults(numberFlag("faults", values.faults as string | undefined) ?? 0);
  for (const [flag, kind] of Object.entries(KIND_FLAGS)) {
    const p = numberFlag(flag, values[flag as keyof typeof values] as string | undefined);
    if (p !== undefined) faults[kind] = p;
  }
  faults.slowMs = numberFlag("slow-ms", values["slow-ms"]);
  const today = todayUtc();
  const running = startSimulator({
    port: numberFlag("port", values.port),
    hostname: values.host,
    seed: numberFlag("seed", values.seed),
    day: values.day ?? (today < DEFAULT_EPOCH ? DEFAULT_EPOCH : today),
    keys: values.keys?.split(",").filter((k) => k !== ""),
    rps: numberFlag("rps", values.rps) ?? null,
    limiter: choiceFlag<LimiterKind>("limiter", values.limiter, LIMITER_KINDS),
    countedPer: choiceFlag<CountedPer>("counted-per", values["counted-per"], COUNTED_PER),
    faults,
    faultSeed: numberFlag("fault-seed", values["fault-seed"]),
  });
  console.log(`WG API simulator serving day ${running.simulator.day} at ${running.url}`);
  console.log(`application_id: ${running.keys.join(", ")}`);
  if (values.rps !== undefined) {
    console.log(`limit: ${values.rps} requests/s per ${values["counted-per"] ?? "key"}, counted as ${values.limiter ?? "token-bucket"}`);
  }
  const stop = async () => {
    await running.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

try {
  main();
} catch (e) {
  console.error(`wg-sim: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  process.exit(2);
}
