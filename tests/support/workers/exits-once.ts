/**
 * A DB helper that dies the first time it is given a chunk, without an error
 * event (process.exit in a worker ends only the worker), as a helper killed by
 * the runtime would; the helper the pool starts next is the real one. A
 * marker file named after the database URL (exitMarkerFor) makes "the first
 * time" survive the worker's own end.
 */
import { existsSync, writeFileSync } from "node:fs";
import { exitMarkerFor } from "./exit-marker";

declare const self: Worker;
const early: MessageEvent[] = [];
self.onmessage = (event: MessageEvent<{ type: string; url?: string }>) => {
  if (event.data.type !== "connect") return void early.push(event);
  const marker = exitMarkerFor(event.data.url!);
  if (existsSync(marker)) {
    // The real helper sets its handler once loaded; what the pool sent is handed on.
    early.unshift(event);
    self.onmessage = (later) => void early.push(later);
    void import("../../../server/src/db/worker.ts").then(() => {
      for (const message of early) self.onmessage!(message);
    });
    return;
  }
  self.postMessage({ type: "ready" });
  self.onmessage = (next: MessageEvent<{ type: string }>) => {
    if (next.data.type !== "write") return;
    writeFileSync(marker, "exited");
    process.exit(0);
  };
};
