/**
 * Every connected client, its WG key and rate share, and the first look at what
 * it sends: size, JSON, shape. Work messages go on to the current crawl.
 */
import * as v from "valibot";
import { ClientMessage, MAX_MESSAGE_BYTES, type ServerMessage } from "@wotc/schema/wire/messages";
import type { ServerConfig } from "@wotc/schema/config";
import { KeyRing } from "../keys";
import { ClientSession, type SessionSocket } from "./client-session";

/** Strikes (bad messages, refused results) in one minute before a client is dropped. */
export const MAX_STRIKES_PER_MINUTE = 20;

export interface WorkHandler {
  /** A client connected or its in-flight target changed: lease it work. */
  fill(session: ClientSession): void;
  /** A validated message from a working client; returns an error to reply with, if any. */
  receive(session: ClientSession, message: ClientMessage): string | undefined;
  /** The client is gone: its leases return to the queue. */
  forget(session: ClientSession): void;
}

/** Told about what the hub does not log line by line (the dashboard's events and /metrics). */
export interface HubObserver {
  /** A message was refused: `invalid` for a malformed message, false for a refused result. */
  refused?(session: ClientSession, error: string, invalid: boolean): void;
}

export class ClientHub {
  readonly keys: KeyRing;
  private readonly sessions = new Map<string, ClientSession>();
  private nextId = 1;
  private work: WorkHandler | undefined;
  /** Told to clients who connect while there is no crawl (scheduled mode between runs). */
  private idleReason = "no crawl is running";
  readonly counters = { invalidMessages: 0, droppedClients: 0, connections: 0 };

  constructor(
    private readonly config: ServerConfig,
    private readonly log: (line: string) => void,
    private readonly observer: HubObserver = {},
  ) {
    this.keys = new KeyRing(config.wg.keys);
  }

  all(): IterableIterator<ClientSession> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Checked at register and upgrade: does any key cover this client? */
  keyFor(name: string, address: string): number | undefined {
    return this.keys.choose(name, address);
  }

  setWork(work: WorkHandler | undefined, idleReason?: string): void {
    this.work = work;
    if (idleReason) this.idleReason = idleReason;
    for (const session of this.sessions.values()) {
      if (work) work.fill(session);
      else this.tellWaiting(session, this.idleReason);
    }
  }

  open(identity: { name: string; tokenName: string; tokenHash?: string; address: string }, socket: SessionSocket): ClientSession | undefined {
    const keyIndex = this.keys.choose(identity.name, identity.address);
    if (keyIndex === undefined) {
      socket.close(1008, "no WG key is configured for this client");
      return undefined;
    }
    const session = new ClientSession(`c${this.nextId++}`, identity.name, identity.tokenName, identity.address, keyIndex, socket, identity.tokenHash ?? "");
    this.sessions.set(session.id, session);
    this.counters.connections++;
    this.keys.join(keyIndex, session.id);
    this.log(`client ${session.name} (${session.address}) connected`);
    this.resplit(keyIndex);
    if (this.work) this.work.fill(session);
    else this.tellWaiting(session, this.idleReason);
    return session;
  }

  close(session: ClientSession, why: string): void {
    if (!this.sessions.delete(session.id)) return;
    session.setState("closed");
    this.keys.leave(session.keyIndex, session.id);
    this.work?.forget(session);
    this.log(`client ${session.name} (${session.address}) disconnected: ${why}`);
    this.resplit(session.keyIndex);
  }

  message(session: ClientSession, data: string | ArrayBuffer | Uint8Array): void {
    if (session.state !== "working") return;
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    if (size > MAX_MESSAGE_BYTES) return this.strike(session, `message of ${size} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`);
    if (typeof data !== "string") return this.strike(session, "binary frames are not part of the protocol; send JSON text");
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return this.strike(session, "message is not valid JSON");
    }
    const parsed = v.safeParse(ClientMessage, json);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const path = v.getDotPath(issue);
      return this.strike(session, `invalid message${path ? ` at ${path}` : ""}: ${issue.message}`);
    }
    if (parsed.output.type === "stats") {
      session.stats = parsed.output.stats;
      return;
    }
    if (!this.work) return this.strike(session, "no crawl is running");
    const error = this.work.receive(session, parsed.output);
    if (error) {
      session.refusedResults++;
      this.strike(session, error, false);
    }
  }

  /** The token was revoked: its clients are disconnected at once and their leases return to the queue. */
  /** Disconnects every client that connected with the token whose hash is `tokenHash`. */
  dropToken(tokenHash: string, reason: string): number {
    let dropped = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.tokenHash !== tokenHash) continue;
      session.setState("draining");
      session.close(1008, reason);
      this.close(session, reason);
      dropped++;
    }
    return dropped;
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
    for (const session of [...this.sessions.values()]) {
      session.setState("draining");
      session.close(code, reason);
      this.close(session, reason);
    }
  }

  tellWaiting(session: ClientSession, reason: string): void {
    if (session.waitingFor === reason) return;
    session.waitingFor = reason;
    session.send({ type: "wait", reason });
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
    const rps = this.keys.share(keyIndex);
    const inFlight = rps === null ? this.config.server.unlimitedInFlight : Math.ceil(rps) + this.config.server.extraInFlight;
    for (const id of this.keys.holdersOf(keyIndex)) {
      const session = this.sessions.get(id);
      if (!session || (session.rps === rps && session.inFlight === inFlight)) continue;
      const grew = inFlight > session.inFlight;
      session.rps = rps;
      session.inFlight = inFlight;
      session.send({ type: "rate", rps, inFlight });
      if (grew) this.work?.fill(session);
    }
  }
}
