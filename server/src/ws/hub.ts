/**
 * Every connected client, its WG key and rate share, and the first look at what
 * it sends: size, JSON, shape. Messages then go on to the current work (the
 * crawl). The conversation goes one way: the hub tells the work handler that a
 * client joined, left, changed rate or sent something; the work handler never
 * calls the hub back, it talks to the sessions it was given.
 */
import * as v from "valibot";
import { ClientMessage, MAX_MESSAGE_BYTES, type ServerMessage } from "@wotc/schema/wire/messages";
import { decodeResultFrame, RESULT_FRAME_FORMAT, rowsToColumns, type ResultColumns } from "@wotc/schema/wire/result-frame";
import type { ServerConfig } from "@wotc/schema/config";
import type { OwnKey } from "@wotc/schema/wire/register";
import { KeyRing } from "../keys";
import { ClientSession, type SessionIdentity, type SessionSocket } from "./client-session";

/** Strikes (bad messages, refused results) in one minute before a client is dropped. */
export const MAX_STRIKES_PER_MINUTE = 20;

/**
 * A client's message as the work handler gets it: a result in columns,
 * whether it came as a binary result frame or as JSON rows.
 */
export type WorkMessage = Exclude<ClientMessage, { type: "result" }> | { type: "result"; id: number; result: ResultColumns };

export interface WorkHandler {
  /** A client is there to work (it connected, or this handler just took over). */
  join(session: ClientSession): void;
  /** The client's rate share or in-flight target changed. */
  rateChanged(session: ClientSession): void;
  /** A validated message from a working client: refused (an error to reply with, a strike), a result accepted, or nothing to say. */
  receive(session: ClientSession, message: WorkMessage): Receipt;
  /** The client is gone: its leases return to the queue. */
  leave(session: ClientSession): void;
}

/** Told about what the hub does not log line by line (the dashboard's events and /metrics). */
export interface HubObserver {
  /** A message was refused: `invalid` for a malformed message, false for a refused result. */
  refused?(session: ClientSession, error: string, invalid: boolean): void;
}

export type Receipt = { refused: string } | { accepted: { ids: number } } | undefined;

export class ClientHub {
  readonly keys: KeyRing;
  private readonly sessions = new Map<string, ClientSession>();
  private nextId = 1;
  private work: WorkHandler | undefined;
  /** Told to clients who connect while there is no crawl (scheduled mode between runs). */
  private idleReason = "no crawl is running";
  /** resultFrames / jsonResults: results received as binary frames and as JSON (clients from before frames). */
  readonly counters = { invalidMessages: 0, droppedClients: 0, connections: 0, resultFrames: 0, jsonResults: 0 };

  constructor(
    private readonly config: ServerConfig,
    private readonly log: (line: string) => void,
    private readonly observer: HubObserver = {},
  ) {
    this.keys = new KeyRing(config.wg);
  }

  all(): IterableIterator<ClientSession> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }

  setWork(work: WorkHandler | undefined, idleReason?: string): void {
    this.work = work;
    if (idleReason) this.idleReason = idleReason;
    for (const session of this.sessions.values()) {
      if (work) work.join(session);
      else session.wait(this.idleReason);
    }
  }

  open(identity: SessionIdentity, socket: SessionSocket): ClientSession | undefined {
    // The key follows the token (or is the client's own): a client's self-chosen name is only a label.
    const id = `c${this.nextId++}`;
    const joined = this.keys.join(id, identity);
    if ("refused" in joined) {
      // Told as a message too: a close reason is cut at 123 bytes
      socket.send(JSON.stringify({ type: "error", message: joined.refused } satisfies ServerMessage));
      socket.close(1008, identity.ownKey ? "own WG key not accepted here" : "no WG key for this client");
      return undefined;
    }
    const session = new ClientSession(id, identity, joined.keyIndex, socket);
    this.sessions.set(session.id, session);
    this.counters.connections++;
    const own = identity.ownKey ? `, its own WG key at ${describeClaim(identity.ownKey)}` : "";
    this.log(`client ${session.name} (${session.address}, token ${session.tokenName}${own}) connected`);
    // Before any work: its results come back in the format agreed here
    if (identity.resultFormat === RESULT_FRAME_FORMAT) session.send({ type: "formats", results: RESULT_FRAME_FORMAT });
    this.resplit(session.keyIndex);
    if (this.work) this.work.join(session);
    else session.wait(this.idleReason);
    return session;
  }

  close(session: ClientSession, why: string): void {
    if (!this.sessions.delete(session.id)) return;
    session.setState("closed");
    this.keys.leave(session.keyIndex, session.id);
    this.work?.leave(session);
    this.log(`client ${session.name} (${session.address}) disconnected: ${why}`);
    this.resplit(session.keyIndex);
  }

  message(session: ClientSession, data: string | ArrayBuffer | Uint8Array): void {
    if (session.state !== "working") return;
    session.lastMessageAt = Date.now();
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    if (size > MAX_MESSAGE_BYTES) return this.strike(session, `message of ${size} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`);
    const message = typeof data === "string" ? this.parseText(session, data) : this.parseFrame(session, data);
    if (!message) return;
    if (message.type === "stats") session.stats = message.stats;
    if (message.type === "release") session.setState("draining");
    if (!this.work) return message.type === "stats" || message.type === "release" ? undefined : this.strike(session, "no crawl is running");
    const receipt = this.work.receive(session, message);
    if (receipt && "refused" in receipt) {
      session.refusedResults++;
      this.strike(session, receipt.refused, false);
    } else if (receipt && "accepted" in receipt) {
      session.batchesAccepted++;
      session.idsAccepted += receipt.accepted.ids;
    }
  }

  /** A JSON text message, validated; a result's rows put in columns. Undefined (and a strike) when it is not a message. */
  private parseText(session: ClientSession, data: string): WorkMessage | undefined {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return void this.strike(session, "message is not valid JSON");
    }
    const parsed = v.safeParse(ClientMessage, json);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const path = v.getDotPath(issue);
      return void this.strike(session, `invalid message${path ? ` at ${path}` : ""}: ${issue.message}`);
    }
    const message = parsed.output;
    if (message.type !== "result") return message;
    this.counters.jsonResults++;
    return { type: "result", id: message.id, result: rowsToColumns(message.rows) };
  }

  /** A binary frame: only a result frame (schema/wire/result-frame.ts) is one. */
  private parseFrame(session: ClientSession, data: ArrayBuffer | Uint8Array): WorkMessage | undefined {
    const decoded = decodeResultFrame(data instanceof Uint8Array ? data : new Uint8Array(data));
    if ("error" in decoded) return void this.strike(session, decoded.error);
    this.counters.resultFrames++;
    return { type: "result", id: decoded.id, result: decoded.result };
  }

  /** Disconnects every client that connected with the token whose hash is `tokenHash`. */
  dropToken(tokenHash: string, reason: string): number {
    return this.dropWhere((session) => session.tokenHash === tokenHash, reason);
  }

  /** Disconnects every client of the token named `tokenName` (suspended). */
  dropTokenName(tokenName: string, reason: string): number {
    return this.dropWhere((session) => session.tokenName === tokenName, reason);
  }

  /** Once a minute strikes are forgiven, so a rare late answer never gets a good client dropped. */
  forgiveStrikes(): void {
    for (const session of this.sessions.values()) session.strikes = 0;
  }

  broadcast(message: ServerMessage): void {
    for (const session of this.sessions.values()) session.send(message);
  }

  /** Ends every session: the run is over (or the server is stopping). */
  closeAll(code: number, reason: string): void {
    this.dropWhere(() => true, reason, code);
  }

  private dropWhere(match: (session: ClientSession) => boolean, reason: string, code = 1008): number {
    let dropped = 0;
    for (const session of [...this.sessions.values()]) {
      if (!match(session)) continue;
      session.setState("draining");
      session.close(code, reason);
      this.close(session, reason);
      dropped++;
    }
    return dropped;
  }

  private strike(session: ClientSession, error: string, invalid = true): void {
    if (invalid) {
      session.invalidMessages++;
      this.counters.invalidMessages++;
    }
    session.send({ type: "error", message: error });
    this.observer.refused?.(session, error, invalid);
    if (++session.strikes > MAX_STRIKES_PER_MINUTE) {
      this.counters.droppedClients++;
      this.log(`client ${session.name} (${session.address}) dropped: ${session.strikes} bad messages in a minute, last: ${error}`);
      session.close(1008, "too many invalid messages");
      this.close(session, "dropped for invalid messages");
    }
  }

  /** Recomputes the rate share of every holder of a key and tells those whose share changed. */
  private resplit(keyIndex: number): void {
    for (const id of this.keys.holdersOf(keyIndex)) {
      const session = this.sessions.get(id);
      // Shares of a volunteer's key counted per address differ from holder to holder
      const rps = this.keys.share(keyIndex, id);
      const inFlight = inFlightFor(rps, this.config);
      if (!session || (session.rps === rps && session.inFlight === inFlight)) continue;
      session.rps = rps;
      session.inFlight = inFlight;
      session.send({ type: "rate", rps, inFlight });
      this.work?.rateChanged(session);
    }
  }
}

/** Batches kept in flight at a rate share: a second's worth plus a few, so no client idles waiting for work. */
export function inFlightFor(rps: number | null, config: ServerConfig): number {
  return rps === null ? config.server.unlimitedInFlight : Math.ceil(rps) + config.server.extraInFlight;
}

/** `10 req/s per key`: what a volunteer said its key allows (the hash stays out of the log). */
function describeClaim(ownKey: OwnKey): string {
  return `${ownKey.rps} req/s per ${ownKey.per}`;
}
