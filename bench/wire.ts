/**
 * `bun run bench wire [batches]`: the CPU that checking and encoding costs per
 * 100-ID batch, in this process, old way against new:
 *
 * - client: a WG `account/info` body (from the simulator, ~60 players) parsed,
 *   checked with the valibot schema of every player object and encoded into
 *   rows, against the envelope-only valibot check plus the one-pass decoder
 *   generated from PLAYER_FIELDS (client/src/wg.ts readPlayers);
 * - server: a `result` message parsed and checked with a valibot tuple per row
 *   and copied row by row into the chunk columns, against the generated wire
 *   check and the generated row → column copy;
 * - result as JSON against result as a binary frame (schema/wire/result-frame.ts),
 *   both ends: the client's JSON.stringify of the message against encoding the
 *   frame, and the server's JSON.parse + valibot + columns + check + packing
 *   into a chunk against decoding the frame + check + packing.
 *
 * Timed with process.cpuUsage() (user + system of this process) in rounds
 * that interleave the ways, median round kept, so a busy machine skews it less
 * than wall-clock time would. Last line:
 * `wire frame/json = X.XX` (client encode + server accept, frame over JSON).
 */
import * as v from "valibot";
import { emptyColumns, type PlayerColumns, type PlayerRow, WG_FIELDS, consoleOf } from "@wotc/schema/player";
import { appendRows } from "@wotc/schema/player-code";
import { WgAccountInfoEnvelope } from "@wotc/schema/wg";
import { ClientMessage } from "@wotc/schema/wire/messages";
import { decodeResultFrame, encodeResultFrame, rowsToColumns, type ResultColumns } from "@wotc/schema/wire/result-frame";
import { readPlayers } from "../client/src/wg";
import { checkResult } from "../server/src/crawl/result-check";
import { packResults } from "../server/src/db/column-transfer";
import { Simulator } from "../tests/support/wg-sim/simulator";

// ------------------------------------------------ the old ways, as they were

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const unix = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 32));
const OldWgPlayer = v.object({
  account_id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  nickname: v.pipe(v.string(), v.maxLength(64)),
  created_at: unix,
  last_battle_time: v.nullable(unix),
  updated_at: unix,
  statistics: v.object({
    all: v.object({ battles: count, spotted: count, wins: count, damage_dealt: count, frags: count, dropped_capture_points: count }),
  }),
});
type OldWgPlayer = v.InferOutput<typeof OldWgPlayer>;
const OldWgResponse = v.variant("status", [
  v.object({ status: v.literal("ok"), meta: v.optional(v.object({ count: v.number() })), data: v.record(v.pipe(v.string(), v.regex(/^\d+$/)), v.nullable(OldWgPlayer)) }),
  v.object({ status: v.literal("error"), error: v.object({ code: v.number(), message: v.string() }) }),
]);

function oldClientDecode(body: string, ids: number[]): PlayerRow[] {
  const parsed = v.parse(OldWgResponse, JSON.parse(body));
  if (parsed.status !== "ok") throw new Error("error answer");
  for (const id of ids) if (!(String(id) in parsed.data)) throw new Error("left out");
  const requested = new Set(ids);
  const rows: PlayerRow[] = [];
  for (const key in parsed.data) {
    const p = parsed.data[key];
    if (!requested.has(Number(key)) || p === null || p.account_id !== Number(key)) continue;
    const all = p.statistics.all;
    rows.push([p.account_id, p.nickname, p.created_at, p.last_battle_time ?? 0, p.updated_at, all.battles, all.spotted, all.wins, all.damage_dealt, all.frags, all.dropped_capture_points]);
  }
  return rows;
}

const accountId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 40));
const OldRow = v.tuple([accountId, v.pipe(v.string(), v.maxLength(64)), unix, unix, unix, count, count, count, count, count, count]);
const OldMessage = v.variant("type", [
  v.strictObject({ type: v.literal("result"), id: v.number(), rows: v.pipe(v.array(OldRow), v.maxLength(100)) }),
]);

function oldServerAccept(text: string, columns: PlayerColumns): void {
  const message = v.parse(OldMessage, JSON.parse(text));
  const p = columns;
  for (const row of message.rows) {
    p.accountId.push(row[0]);
    p.nickname.push(row[1]);
    p.console.push(consoleOf(row[1], "xbox"));
    p.createdAt.push(row[2]);
    p.lastBattleTime.push(row[3]);
    p.updatedAt.push(row[4]);
    p.battles.push(row[5]);
    p.spotted.push(row[6]);
    p.wins.push(row[7]);
    p.damageDealt.push(row[8]);
    p.frags.push(row[9]);
    p.droppedCapturePoints.push(row[10]);
  }
}

// ------------------------------------------------------------- the new ways

function newClientDecode(body: string, ids: number[]): PlayerRow[] {
  const parsed = v.parse(WgAccountInfoEnvelope, JSON.parse(body));
  if (parsed.status !== "ok") throw new Error("error answer");
  const attempt = readPlayers(parsed.data, ids, parsed.meta?.count);
  if (attempt.kind !== "ok") throw new Error(attempt.reason);
  return attempt.rows;
}

function newServerAccept(text: string, columns: PlayerColumns): void {
  const message = v.parse(ClientMessage, JSON.parse(text));
  if (message.type !== "result") throw new Error("not a result");
  appendRows(columns, message.rows, "xbox");
}

// ------------------------------------------------- result as JSON or as a frame

const BATCH_OF = (i: number) => ({ id: i, platform: "xbox" as const, start: 5_000 + i * 100, end: 5_100 + i * 100 });
/** A chunk's worth of results (2,000 rows at ~60 a batch) is packed at once, as the chunk builder does. */
const PER_CHUNK = 33;

function jsonServerAccept(text: string, pending: { result: ResultColumns; platform: "xbox" }[]): void {
  const message = v.parse(ClientMessage, JSON.parse(text));
  if (message.type !== "result") throw new Error("not a result");
  const result = rowsToColumns(message.rows);
  if (checkResult(BATCH_OF(message.id), result)) throw new Error("refused");
  pending.push({ result, platform: "xbox" });
  if (pending.length >= PER_CHUNK) packResults(pending.splice(0));
}

function frameServerAccept(frame: Uint8Array, pending: { result: ResultColumns; platform: "xbox" }[]): void {
  const decoded = decodeResultFrame(frame);
  if ("error" in decoded) throw new Error(decoded.error);
  if (checkResult(BATCH_OF(decoded.id), decoded.result)) throw new Error("refused");
  pending.push({ result: decoded.result, platform: "xbox" });
  if (pending.length >= PER_CHUNK) packResults(pending.splice(0));
}

// ------------------------------------------------------------------ the run

export async function main(args: string[]): Promise<void> {
  const batches = Number(args[0] ?? 3_000);
  const sim = new Simulator({ seed: 1, day: "2026-11-27", keys: ["k"] });
  const bodies: { body: string; ids: number[] }[] = [];
  for (let b = 0; b < 200; b++) {
    const ids = Array.from({ length: 100 }, (_, i) => 5_000 + b * 100 + i);
    const url = `http://sim/wotx/account/info/?application_id=k&account_id=${ids.join(",")}&fields=${WG_FIELDS.join(",")}&language=en`;
    bodies.push({ body: await (await sim.handle(new Request(url))).text(), ids });
  }
  const rowsOf = bodies.map(({ body, ids }) => oldClientDecode(body, ids));
  const messages = rowsOf.map((rows, i) => JSON.stringify({ type: "result", id: i, rows }));
  const frames = rowsOf.map((rows, i) => encodeResultFrame(i, rows));
  const rowsPerBatch = messages.reduce((n, m) => n + (JSON.parse(m).rows.length as number), 0) / messages.length;
  // same rows both ways, or the comparison is of different work
  for (const { body, ids } of bodies) if (JSON.stringify(newClientDecode(body, ids)) !== JSON.stringify(oldClientDecode(body, ids))) throw new Error("decoders disagree");

  let columns = emptyColumns();
  const pending: { result: ResultColumns; platform: "xbox" }[] = [];
  const fresh = (i: number) => {
    if (i === 0) columns = emptyColumns();
  };
  const ways = {
    clientOld: (i: number) => oldClientDecode(bodies[i]!.body, bodies[i]!.ids),
    clientNew: (i: number) => newClientDecode(bodies[i]!.body, bodies[i]!.ids),
    serverOld: (i: number) => (fresh(i), oldServerAccept(messages[i]!, columns)),
    serverNew: (i: number) => (fresh(i), newServerAccept(messages[i]!, columns)),
    bodyParse: (i: number) => JSON.parse(bodies[i]!.body),
    messageParse: (i: number) => JSON.parse(messages[i]!),
    sendJson: (i: number) => JSON.stringify({ type: "result", id: i, rows: rowsOf[i]! }),
    sendFrame: (i: number) => encodeResultFrame(i, rowsOf[i]!),
    acceptJson: (i: number) => jsonServerAccept(messages[i]!, pending),
    acceptFrame: (i: number) => frameServerAccept(frames[i]!, pending),
  };
  type Way = keyof typeof ways;
  // Rounds interleave the ways so a burst of load elsewhere hits them alike; the median round is kept.
  const ROUNDS = 9;
  const samples = Object.fromEntries(Object.keys(ways).map((w) => [w, [] as number[]])) as Record<Way, number[]>;
  for (const fn of Object.values(ways)) for (let i = 0; i < 500; i++) fn(i % bodies.length); // warm-up for the JIT
  for (let round = 0; round < ROUNDS; round++) {
    for (const [way, fn] of Object.entries(ways) as [Way, (i: number) => unknown][]) {
      const n = Math.ceil(batches / ROUNDS);
      const before = process.cpuUsage();
      for (let i = 0; i < n; i++) fn(i % bodies.length);
      const used = process.cpuUsage(before);
      samples[way].push((used.user + used.system) / n);
    }
  }
  const median = (way: Way) => samples[way].sort((a, b) => a - b)[ROUNDS >> 1]!;
  const [clientOld, clientNew, serverOld, serverNew, bodyParseOnly, parseOnly, sendJson, sendFrame, acceptJson, acceptFrame] = (
    ["clientOld", "clientNew", "serverOld", "serverNew", "bodyParse", "messageParse", "sendJson", "sendFrame", "acceptJson", "acceptFrame"] as Way[]
  ).map(median) as number[] as [number, number, number, number, number, number, number, number, number, number];

  console.log(`wire bench: ${batches.toLocaleString("en-US")} batches of 100 IDs, ${rowsPerBatch.toFixed(0)} players each; CPU µs per batch`);
  console.log(`client, WG body → rows:  valibot ${clientOld.toFixed(1)}, generated ${clientNew.toFixed(1)} (JSON.parse alone ${bodyParseOnly.toFixed(1)})`);
  console.log(`server, result → columns: valibot ${serverOld.toFixed(1)}, generated ${serverNew.toFixed(1)} (JSON.parse alone ${parseOnly.toFixed(1)})`);
  console.log(`wire new/old = ${((clientNew + serverNew) / (clientOld + serverOld)).toFixed(2)} (generated checks against valibot)`);
  console.log(`client, rows → message:  JSON.stringify ${sendJson.toFixed(1)}, result frame ${sendFrame.toFixed(1)} (${frames.reduce((n, f) => n + f.byteLength, 0) / frames.length | 0} bytes a frame, ${messages.reduce((n, m) => n + m.length, 0) / messages.length | 0} as JSON)`);
  console.log(`server, message → packed chunk: JSON ${acceptJson.toFixed(1)}, result frame ${acceptFrame.toFixed(1)}`);
  console.log(`wire frame/json = ${((sendFrame + acceptFrame) / (sendJson + acceptJson)).toFixed(2)}`);
}
