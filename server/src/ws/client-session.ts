/**
 * One connected client. Its state changes only through `setState`:
 *   working → draining (run over, or being dropped) → closed
 */
import type { ClientStats, ServerMessage } from "@wotc/schema/wire/messages";

export type SessionState = "working" | "draining" | "closed";

export interface SessionSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export class ClientSession {
  state: SessionState = "working";
  /** This client's current share of its key, and the batches kept in flight for it. */
  rps: number | null = null;
  inFlight = 1;
  stats: ClientStats | undefined;
  batchesAccepted = 0;
  idsAccepted = 0;
  strikes = 0; // invalid messages and refused results in the current minute
  invalidMessages = 0;
  refusedResults = 0;
  readonly connectedAt = Date.now();
  /** Set when the client was told there is nothing to do, so it is told once, not per tick. */
  waitingFor: string | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly tokenName: string,
    readonly address: string,
    readonly keyIndex: number,
    private readonly socket: SessionSocket,
    /** SHA-256 of the token it connected with: revoking or replacing that token drops this client. */
    readonly tokenHash = "",
  ) {}

  send(message: ServerMessage): void {
    if (this.state === "closed") return;
    this.socket.send(JSON.stringify(message));
  }

  setState(next: SessionState): void {
    this.state = next;
  }

  close(code: number, reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.socket.close(code, reason);
  }

  summary() {
    return {
      name: this.name,
      token: this.tokenName,
      address: this.address,
      state: this.state,
      rps: this.rps,
      inFlight: this.inFlight,
      batchesAccepted: this.batchesAccepted,
      invalidMessages: this.invalidMessages,
      refusedResults: this.refusedResults,
      connectedSeconds: Math.round((Date.now() - this.connectedAt) / 1000),
      reported: this.stats ?? null,
    };
  }
}
