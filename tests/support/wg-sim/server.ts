/** The simulator on a real socket (Bun.serve), for clients that speak HTTP to it. */
import type { FaultKind, Faults } from "./faults.ts";
import { Simulator, type SimulatorOptions, type SimulatorStats } from "./simulator.ts";

export interface StartOptions extends SimulatorOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
}

export interface RunningSimulator {
  /** Base URL ending in `/wotx/`, to which `account/info/` is appended. */
  url: string;
  port: number;
  /** The application_ids it accepts. */
  keys: string[];
  simulator: Simulator;
  setDay(day: string): void;
  setFaults(faults: Faults): void;
  stats(): SimulatorStats;
  resetStats(): void;
  /** Close the socket and drop open connections. */
  stop(): Promise<void>;
}

export function startSimulator(options: StartOptions = {}): RunningSimulator {
  const simulator = new Simulator(options);
  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    // Slow faults hold a request for seconds; Bun's default idle timeout (10 s) must not cut them.
    idleTimeout: 255,
    // keys counted per address tell callers apart by the socket's remote address
    fetch: (request, server) => simulator.handle(request, server.requestIP(request)?.address),
  });
  const port = server.port as number;
  const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  return {
    url: `http://${host}:${port}/wotx/`,
    port,
    keys: simulator.keys,
    simulator,
    setDay: (day) => simulator.setDay(day),
    setFaults: (faults) => simulator.setFaults(faults),
    stats: () => simulator.stats(),
    resetStats: () => simulator.resetStats(),
    stop: () => server.stop(true),
  };
}

export type { FaultKind, Faults, SimulatorOptions, SimulatorStats };
