/**
 * One WebSocket session with the server: connecting → working → closed.
 * It feeds `work` to a BatchWorker, applies `rate`, reports stats on a timer,
 * and ends in one of three ways: the run is done, the socket was lost, or the
 * client was told to stop (it then hands its batches back first).
 */
import * as v from "valibot";
import { type ClientMessage, ServerMessage } from "@wotc/schema/wire/messages";
import { encodeResultFrame, RESULT_FRAME_FORMAT } from "@wotc/schema/wire/result-frame";
import { BatchWorker } from "./batch-worker";
import type { Logger } from "./log";
import { RepeatFilter } from "./log";
import type { RateLimiter } from "./rate-limiter";
import type { ClientCounters } from "./stats";
import type { WgCaller } from "./wg";

export type SessionEnd =
  | { kind: "done"; date: string }
  | { kind: "lost"; code: number; reason: string; opened: boolean }
  | { kind: "stopped"; released: number }
  /** WG refused the client's own key: it stopped and handed its batches back. */
  | { kind: "key-refused"; error: string; released: number };

export type SessionState = "connecting" | "working" | "stopping" | "closed";

/** Opens the socket; Bun's WebSocket takes headers, the browser one does not. */
export type SocketFactory = (url: string, headers: Record<string, string>) => WebSocket;

export const bunSocket: SocketFactory = (url, headers) => new WebSocket(url, { headers });

/** A socket that trusts `ca` (PEM) for the server's certificate: `--ca` for self-signed setups. */
export function socketTrustingCa(ca: string): SocketFactory {
  // Bun accepts `tls` here; bun-types does not declare it
  return (url, headers) => new WebSocket(url, { headers, tls: { ca } } as unknown as string);
}

export interface SessionDeps {
  url: string;
  token: string;
  caller: Pick<WgCaller, "fetchAccounts">;
  limiter: RateLimiter;
  counters: ClientCounters;
  log: Logger;
  socket?: SocketFactory;
  statsIntervalMs?: number;
  /** Seam for self-update: the server announced a newer client build. */
  onUpdate?: (version: string) => void;
  /** How long stop() waits for the close handshake. */
  closeTimeoutMs?: number;
  /** A socket still not open after this long is given up on (the server accepted TCP but hangs). */
  connectTimeoutMs?: number;
  /** The client queries WG with its own key: WG refusing it ends the session (see BatchWorkerDeps.onKeyRefused). */
  ownKey?: boolean;
}

/** The release message carries at most this many ids (schema/wire/messages.ts). */
const MAX_RELEASE = 10_000;

export class Session {
  private state: SessionState = "connecting";
  private socket: WebSocket | null = null;
  private worker: BatchWorker;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private doneDate: string | null = null;
  private released = 0;
  /** WG's refusal of the client's own key, once seen. */
  private keyRefused: string | null = null;
  /**
   * Back-pressure flips between "wait" and "work" several times a second
   * while the database is the bottleneck (83 lines in a 16-s bench run): a
   * reason is said once a minute, with how often it came meanwhile.
   */
  private readonly waits: RepeatFilter;
  /** The server said it reads result frames: results go binary, the rest stays JSON. */
  private resultFrames = false;
  private readonly warnings: RepeatFilter;
  private settle: (end: SessionEnd) => void = () => {};
  private readonly ended: Promise<SessionEnd>;

  constructor(private readonly deps: SessionDeps) {
    this.warnings = new RepeatFilter(deps.log.warn);
    this.waits = new RepeatFilter(deps.log.info);
    this.worker = new BatchWorker({
      caller: deps.caller,
      send: (message) => this.send(message),
      counters: deps.counters,
      log: deps.log,
      ...(deps.ownKey ? { onKeyRefused: (error: string) => this.onKeyRefused(error) } : {}),
    });
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  get currentState(): SessionState {
    return this.state;
  }

  /** Connects and resolves when the session is over. */
  run(): Promise<SessionEnd> {
    const socket = (this.deps.socket ?? bunSocket)(offeringResultFrames(this.deps.url), { authorization: `Bearer ${this.deps.token}` });
    this.socket = socket;
    socket.addEventListener("open", () => this.onOpen());
    socket.addEventListener("message", (event) => this.onMessage(event.data));
    socket.addEventListener("close", (event) => this.onClose(event.code, event.reason));
    // an error is always followed by close, which carries the outcome
    socket.addEventListener("error", () => {});
    const connectTimer = setTimeout(() => {
      if (this.state !== "connecting") return;
      socket.close();
      this.finish({ kind: "lost", code: 0, reason: "the socket did not open in time", opened: false });
    }, this.deps.connectTimeoutMs ?? 15_000);
    void this.ended.then(() => clearTimeout(connectTimer));
    return this.ended;
  }

  /** Hands every held batch back, closes the socket and waits (briefly) for it to close. */
  async stop(reason = "client stopping"): Promise<void> {
    if (this.state === "closed" || this.state === "stopping") return this.ended.then(() => {});
    const wasWorking = this.state === "working";
    this.state = "stopping";
    const ids = this.worker.heldIds();
    this.worker.abort();
    if (wasWorking) {
      for (let i = 0; i < ids.length; i += MAX_RELEASE) {
        this.send({ type: "release", ids: ids.slice(i, i + MAX_RELEASE) });
      }
      this.released = ids.length;
    }
    this.socket?.close(1000, reason);
    const timeout = setTimeout(() => this.finish(this.stoppedEnd()), this.deps.closeTimeoutMs ?? 2_000);
    await this.ended;
    clearTimeout(timeout);
  }

  private onOpen(): void {
    if (this.state !== "connecting") return;
    this.state = "working";
    this.deps.log.info(`connected to ${this.deps.url}`);
    const every = this.deps.statsIntervalMs ?? 5_000;
    this.deps.counters.snapshot(); // rates start from the connection, not from an old session
    this.statsTimer = setInterval(() => this.reportStats(), every);
  }

  private onMessage(data: unknown): void {
    if (this.state !== "working") return;
    let json: unknown;
    try {
      json = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer));
    } catch {
      return this.warnings.report("bad-json", "the server sent a frame that is not JSON; ignored");
    }
    const parsed = v.safeParse(ServerMessage, json);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      return this.warnings.report(
        `bad-message`,
        `the server sent an invalid message (${v.getDotPath(issue) ?? "(root)"}: ${issue.message}); ignored`,
      );
    }
    const message = parsed.output;
    switch (message.type) {
      case "work":
        this.worker.add(message.batches);
        break;
      case "rate":
        this.deps.limiter.configure(message.rps, message.inFlight);
        this.deps.log.info(`rate share now ${describeRate(message.rps)}, ${message.inFlight} batches in flight`);
        break;
      case "wait":
        this.waits.report(message.reason, `waiting: ${message.reason}`);
        break;
      case "done":
        this.doneDate = message.date;
        this.socket?.close(1000, "run done");
        break;
      case "update":
        if (this.deps.onUpdate) this.deps.onUpdate(message.version);
        else this.deps.log.info(`the server offers client version ${message.version}; self-update is not built in yet`);
        break;
      case "error":
        this.warnings.report(`error:${message.message}`, `the server says: ${message.message}`);
        break;
      case "formats":
        this.resultFrames = message.results === RESULT_FRAME_FORMAT;
        if (this.resultFrames) this.deps.log.info(`the server reads results as binary frames (${RESULT_FRAME_FORMAT}); sending them so`);
        break;
    }
  }

  /** The first refusal stops the session; the answers to requests already in flight say the same. */
  private onKeyRefused(error: string): void {
    if (this.keyRefused !== null) return;
    this.keyRefused = error;
    // The server logs the reason: the volunteer's key is not in it, WG's word for the refusal is
    void this.stop(`WG refused the client's own key: ${error}`);
  }

  private stoppedEnd(): SessionEnd {
    return this.keyRefused === null ? { kind: "stopped", released: this.released } : { kind: "key-refused", error: this.keyRefused, released: this.released };
  }

  private onClose(code: number, reason: string): void {
    if (this.state === "stopping") return this.finish(this.stoppedEnd());
    if (this.doneDate !== null) return this.finish({ kind: "done", date: this.doneDate });
    this.finish({ kind: "lost", code, reason, opened: this.state === "working" });
  }

  private finish(end: SessionEnd): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.worker.abort();
    this.settle(end);
  }

  private send(message: ClientMessage): void {
    // A closed socket means the server has re-leased our batches already
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(message.type === "result" && this.resultFrames ? encodeResultFrame(message.id, message.rows) : JSON.stringify(message));
  }

  private reportStats(): void {
    const stats = this.deps.counters.snapshot();
    this.send({ type: "stats", stats });
    const { counters, limiter } = this.deps;
    const retries = counters.describeRetries();
    this.deps.log.info(
      `progress: ${stats.batchesDone} batches done, ${stats.batchesFailed} failed · ` +
        `${Math.round(stats.idsPerSecond)} IDs/s · ${stats.requestsPerSecond} req/s · ` +
        `${stats.retries} retries${retries ? ` (${retries})` : ""} · ` +
        `${this.worker.size} held · pace ${describeRate(limiter.currentRate())}` +
        (limiter.currentRate() === null ? "" : ` (1 s window + ${Math.round(limiter.currentMarginMs())} ms)`),
    );
  }
}

/**
 * The work socket's URL with the result frame offered (`results=frame-1`): a
 * server that reads it says `formats`; one from before ignores the parameter
 * and gets JSON as always.
 */
export function offeringResultFrames(url: string): string {
  const offered = new URL(url);
  offered.searchParams.set("results", RESULT_FRAME_FORMAT);
  return offered.toString();
}

export function describeRate(rps: number | null): string {
  return rps === null ? "unlimited" : `${Math.round(rps * 10) / 10} req/s`;
}
