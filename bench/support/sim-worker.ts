/**
 * The WG simulator on a thread of its own (a Bun Worker), for benchmarks that
 * read its statistics while it serves: the benchmark's own work (polling the
 * server, reading /proc) then cannot delay the moment a request is counted,
 * which a strict rate limit is all about.
 *
 * This file is a Worker entry point: it starts the simulator it is asked for.
 */
import { startSimulator, type RunningSimulator, type StartOptions } from "../../tests/support/wg-sim/server";

declare const self: Worker;

export type ToSimWorker = { type: "start"; options: StartOptions } | { type: "stats" } | { type: "stop" };

let running: RunningSimulator | undefined;
self.onmessage = async (event: MessageEvent<ToSimWorker>) => {
  const message = event.data;
  if (message.type === "start") {
    running = startSimulator(message.options);
    self.postMessage({ type: "started", url: running.url });
  } else if (message.type === "stats") {
    self.postMessage({ type: "stats", stats: running!.stats() });
  } else {
    await running?.stop();
    self.postMessage({ type: "stopped" });
  }
};
