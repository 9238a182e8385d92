/**
 * A DB helper: a Bun Worker with its own PostgreSQL connection that writes the
 * jobs the main thread sends it, one at a time. What it does with a failure
 * follows the error's class (db-errors.ts): retry through an outage, retry
 * slowly while the operator must act, leave out batches whose counters move
 * back (for a second opinion), and find and set aside a batch whose rows the
 * database refuses — so nothing a client sent is lost and no error loops.
 *
 * This file is a worker entry point: starting the helper on load is its job.
 */
import type postgres from "postgres";
import { openClient } from "./client";
import type { FromHelper, SuspectBatch, ToHelper, WriteJob, WriteOutcome } from "./messages";
import { rowsIn, subJob } from "./messages";
import { ingestChunk } from "./queries/ingest-chunk";
import { repairBatches } from "./queries/repair-batches";
import { ensurePartitions } from "./queries/ensure-partitions";
import { classifyDbError, describeDbError } from "./db-errors";
import { unpackColumns } from "./column-transfer";

declare const self: Worker;

const MAX_BACKOFF_MS = 5_000;
/** While the operator must act (disk full, a right missing), one try every this long. */
const BLOCKED_RETRY_MS = [2_000, 5_000, 10_000, 30_000];

class Stopping extends Error {}

function serveHelper(port: Worker): void {
  const send = (message: FromHelper) => port.postMessage(message);
  let sql: postgres.Sql | undefined;
  let url = "";
  let work = Promise.resolve();
  let stopping = false;

  // The same session settings and types as the main thread (int8 as numbers: the repair compares rows).
  const open = () => openClient(url, { max: 1, idleTimeout: 0, applicationName: "wotc-db-helper" });

  /**
   * A fresh client after a few failed tries in a row: a postgres.js client
   * whose connection attempt timed out while PostgreSQL restarted was seen to
   * time out on every later attempt (a password login; measured in
   * tests/e2e/db-restart.test.ts), while a new client connects at once.
   */
  async function reconnect(): Promise<void> {
    const old = sql;
    sql = open();
    await old?.end({ timeout: 0 }).catch(() => undefined);
  }

  async function writeOnce(job: WriteJob): Promise<{ rows: number; judgements?: (string | undefined)[] }> {
    return "repair" in job ? repairBatches(sql!, job) : ingestChunk(sql!, job);
  }

  /** Writes `indexes` of the job; retries what can be retried; returns what was not written and why. */
  async function write(chunkId: number, job: WriteJob, indexes: number[], outcome: WriteOutcome): Promise<void> {
    let attempt = 0;
    let blocked = 0;
    while (indexes.length > 0) {
      attempt++;
      try {
        const part = indexes.length === job.batches.length ? job : subJob(job, indexes);
        const result = await writeOnce(part);
        outcome.rows += result.rows;
        if (result.judgements) {
          outcome.judgements ??= [];
          result.judgements.forEach((j, k) => (outcome.judgements![indexes[k]!] = j));
        }
        return;
      } catch (error) {
        if (stopping) throw new Stopping(describeDbError(error));
        const problem = classifyDbError(error);
        switch (problem.kind) {
          case "regressed": {
            const accounts = new Set(String((error as { detail?: string }).detail ?? "").split(",").map(Number));
            const moved = indexes.filter((i) => rowsIn(job.players, job.batches[i]!.start, job.batches[i]!.end).some((r) => accounts.has(r[0])));
            // No batch holds the accounts (cannot happen): treat as refused data rather than loop.
            if (moved.length === 0) throw error;
            for (const i of moved) outcome.suspects.push(suspect(job, i, accounts));
            indexes = indexes.filter((i) => !moved.includes(i));
            break;
          }
          case "partition":
            await ensurePartitions(sql!, job.runDate).catch(() => undefined);
            break;
          case "transient":
            send({ type: "retrying", chunkId, attempt, error: describeDbError(error) });
            await Bun.sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 6)));
            if (attempt % 3 === 0) await reconnect();
            break;
          case "blocking":
            send({ type: "blocked", chunkId, attempt, error: describeDbError(error), problem });
            await Bun.sleep(BLOCKED_RETRY_MS[Math.min(blocked++, BLOCKED_RETRY_MS.length - 1)]!);
            break;
          case "data":
            if (indexes.length === 1) {
              outcome.rejected.push({ index: indexes[0]!, error: describeDbError(error) });
              return;
            }
            // Halve until the batch holding the refused rows is alone; the rest is written.
            {
              const half = Math.ceil(indexes.length / 2);
              await write(chunkId, job, indexes.slice(0, half), outcome);
              await write(chunkId, job, indexes.slice(half), outcome);
            }
            return;
        }
      }
    }
  }

  async function run(chunkId: number, job: WriteJob): Promise<void> {
    const started = performance.now();
    const outcome: WriteOutcome = { rows: 0, ms: 0, suspects: [], rejected: [] };
    try {
      await write(chunkId, job, job.batches.map((_, i) => i), outcome);
      outcome.ms = performance.now() - started;
      send({ type: "written", chunkId, ...outcome });
    } catch (error) {
      // Stopping, or a bug: the batches are crawled again; nothing half-written stays (one transaction a try).
      send({ type: "abandoned", chunkId, error: error instanceof Error ? error.message : String(error) });
    }
  }

  port.onmessage = (event: MessageEvent<ToHelper>) => {
    const message = event.data;
    switch (message.type) {
      case "connect":
        url = message.url;
        sql = open();
        send({ type: "ready" });
        break;
      case "write":
        work = work.then(() => run(message.chunkId, { ...message.job, players: unpackColumns(message.job.players) } as WriteJob));
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

function suspect(job: WriteJob, index: number, accounts: Set<number>): SuspectBatch {
  const batch = job.batches[index]!;
  const rows = rowsIn(job.players, batch.start, batch.end);
  const moved = rows.filter((r) => accounts.has(r[0])).map((r) => r[0]);
  return { index, rows, why: `counters or times of known account${moved.length > 1 ? "s" : ""} ${moved.slice(0, 3).join(", ")}${moved.length > 3 ? ", …" : ""} would move back` };
}

serveHelper(self);
