/**
 * The WG simulator whose day follows a clock: each request is answered with
 * the players of the clock's UTC date, so a fast-forwarded tracker crawling
 * day 2 sees day 2's battles (the diffs have something to show).
 */
import { Simulator, type SimulatorOptions } from "../tests/support/wg-sim/simulator";
import type { Clock } from "../server/src/schedule";

export function startSimulatorOnClock(options: SimulatorOptions, clock: Clock): { url: string; stop(): Promise<void> } {
  const simulator = new Simulator(options);
  let day = options.day;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 255,
    fetch: (request) => {
      const today = new Date(clock.now()).toISOString().slice(0, 10);
      if (today !== day) simulator.setDay((day = today));
      return simulator.handle(request);
    },
  });
  return { url: `http://127.0.0.1:${server.port}/wotx/`, stop: () => server.stop(true) };
}
