/**
 * A DB helper: a Bun Worker with its own PostgreSQL connection that writes the
 * chunks the main thread sends it, one at a time, retrying through database
 * outages so a restart of PostgreSQL loses nothing.
 *
 * This file is a worker entry point: starting the helper on load is its job.
 */
import postgres from "postgres";
import type { FromHelper, IngestChunk, ToHelper } from "./messages";
import { ingestChunk } from "./queries/ingest-chunk";
import { describeDbError, isTransientDbError } from "./transient-errors";

declare const self: Worker;

const MAX_BACKOFF_MS = 5_000;

function serveHelper(port: Worker): void {
  const send = (message: FromHelper) => port.postMessage(message);
  let sql: postgres.Sql | undefined;
  let work = Promise.resolve();
  let stopping = false;

  async function write(chunkId: number, chunk: IngestChunk): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const { rows, batches } = await ingestChunk(sql!, chunk);
        send({ type: "committed", chunkId, rows, batches, ms: performance.now() - started });
        return;
      } catch (error) {
        if (!isTransientDbError(error) || stopping) {
          send({ type: "rejected", chunkId, error: describeDbError(error) });
          return;
        }
        send({ type: "retrying", chunkId, attempt, error: describeDbError(error) });
        await Bun.sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  port.onmessage = (event: MessageEvent<ToHelper>) => {
    const message = event.data;
    switch (message.type) {
      case "connect":
        sql = postgres(message.url, {
          max: 1,
          idle_timeout: 0,
          connect_timeout: 10,
          onnotice: () => {},
          connection: { TimeZone: "UTC", application_name: "wotc-db-helper" },
        });
        send({ type: "ready" });
        break;
      case "ingest":
        work = work.then(() => write(message.chunkId, message.chunk));
        break;
      case "stop":
        stopping = true;
        work
          .then(() => sql?.end({ timeout: 5 }))
          .finally(() => {
            send({ type: "stopped" });
            port.onmessage = null;
          });
        break;
    }
  };
}

serveHelper(self);
