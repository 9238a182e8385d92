/**
 * The WebSocket protocol between server and client (`/api/work`): JSON text
 * frames, each one of the messages below, validated with valibot on receipt by
 * whichever side reads it; and, from a client the server said `formats` to,
 * results as binary frames (result-frame.ts).
 */
import * as v from "valibot";
import { PLATFORMS, type PlayerRow } from "../player";
import { playerRowsIssue } from "../player-code";

/** Largest frame either side accepts: 100 rows of ~120 bytes, with room to spare. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const BATCH_SIZE = 100;

const accountId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 40));
const counter = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const unixSeconds = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 32));
const batchId = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 31));

export const Batch = v.strictObject({
  id: batchId,
  platform: v.picklist(PLATFORMS),
  start: accountId,
  end: accountId,
});
export type Batch = v.InferOutput<typeof Batch>;

/**
 * The rows of a result: PLAYER_FIELDS (schema/player.ts) in order, checked by
 * the check generated from that table (schema/player-code.ts) instead of a
 * valibot tuple per row, which cost 45x more. The issue it reports has the
 * row and position as its path and the field's name in its message:
 * `rows.3.5: battles: Invalid value: Expected >=0 but received -1`.
 */
export const PlayerRows = v.pipe(
  v.custom<PlayerRow[]>(Array.isArray, (issue) => `Invalid type: Expected Array but received ${issue.received}`),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = playerRowsIssue(dataset.value);
    if (!problem) return;
    addIssue({
      label: problem.label,
      expected: problem.expected ?? undefined,
      received: problem.received,
      message: problem.field ? `${problem.field.name}: ${problem.message}` : problem.message,
      path: problem.path.map((key) => ({ type: "array", origin: "value", input: dataset.value, key, value: undefined })) as [
        v.IssuePathItem,
        ...v.IssuePathItem[],
      ],
    });
  }),
  v.maxLength(BATCH_SIZE),
);

/** What a client tells the server about itself, shown per client in /api/status. */
export const ClientStats = v.strictObject({
  batchesDone: counter,
  batchesFailed: counter,
  requests: counter,
  retries: counter,
  rateLimited: counter, // REQUEST_LIMIT_EXCEEDED answers
  idsPerSecond: v.pipe(v.number(), v.minValue(0)),
  requestsPerSecond: v.pipe(v.number(), v.minValue(0)),
});
export type ClientStats = v.InferOutput<typeof ClientStats>;

export const ClientMessage = v.variant("type", [
  v.strictObject({ type: v.literal("result"), id: batchId, rows: PlayerRows }),
  v.strictObject({ type: v.literal("failed"), id: batchId, reason: v.pipe(v.string(), v.maxLength(500)) }),
  /** Batches the client gives back unworked (it is shutting down). */
  v.strictObject({ type: v.literal("release"), ids: v.pipe(v.array(batchId), v.maxLength(10_000)) }),
  v.strictObject({ type: v.literal("stats"), stats: ClientStats }),
]);
export type ClientMessage = v.InferOutput<typeof ClientMessage>;

export const ServerMessage = v.variant("type", [
  v.strictObject({ type: v.literal("work"), batches: v.array(Batch) }),
  /** The client's share of its key's rate changed (another client joined or left). */
  v.strictObject({ type: v.literal("rate"), rps: v.nullable(v.number()), inFlight: v.number() }),
  /** No work to hand out now; the client waits and says why. */
  v.strictObject({ type: v.literal("wait"), reason: v.string() }),
  /** Today's run is complete; the server closes the socket after this. */
  v.strictObject({ type: v.literal("done"), date: v.string() }),
  v.strictObject({ type: v.literal("update"), version: v.string() }),
  /**
   * The result formats the server reads besides JSON, sent only to a client
   * that offered one on the work socket (`results=frame-1`): such a client
   * then sends each result as a binary frame (result-frame.ts).
   */
  v.strictObject({ type: v.literal("formats"), results: v.string() }),
  v.strictObject({ type: v.literal("error"), message: v.string() }),
]);
export type ServerMessage = v.InferOutput<typeof ServerMessage>;
