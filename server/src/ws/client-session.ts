/**
 * One connected client, as the hub knows it: its socket, its identity (token,
 * trust, key) and its share of the key's rate. Its state changes only through
 * `setState`:
 *   working → draining (run over, leaving, or being dropped) → closed
 * What it does for the crawl (batches, results) the crawl keeps itself.
 */
import type { TrustLevel } from "@wotc/schema/db/client-tokens";
import type { ClientStats, ServerMessage } from "@wotc/schema/wire/messages";
import type { OwnKey } from "@wotc/schema/wire/register";

export type SessionState = "working" | "draining" | "closed";

export interface SessionSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface SessionIdentity {
  /** The label the client sent (shown; never used to choose its key). */
  name: string;
  tokenName: string;
  /** SHA-256 of the token it connected with: revoking or replacing that token drops this client. */
  tokenHash?: string;
  /** The token's trust when it connected; the crawl keeps the live value. */
  trust?: TrustLevel;
  /** Agreeing answers the token had when it connected. */
  agreements?: number;
  address: string;
  /** The WG key the client brought (its hash and rate), if it brought one. */
  ownKey?: OwnKey;
  /** The binary result format the client offered on the work socket (`results=`), if any. */
  resultFormat?: string;
}

export class ClientSession {
  state: SessionState = "working";
  /** This client's current share of its key, and the batches kept in flight for it. */
  rps: number | null = null;
  inFlight = 1;
  stats: ClientStats | undefined;
  /** Results the work handler accepted from this client, and the IDs they covered (for the dashboard's tally). */
  batchesAccepted = 0;
  idsAccepted = 0;
  strikes = 0; // invalid messages and refused results in the current minute
  invalidMessages = 0;
  refusedResults = 0;
  readonly connectedAt = Date.now();
  lastMessageAt = Date.now();
  /** Set when the client was told there is nothing to do, so it is told once, not per tick. */
  private waitingFor: string | undefined;
  readonly name: string;
  readonly tokenName: string;
  readonly tokenHash: string;
  readonly trust: TrustLevel;
  readonly agreements: number;
  readonly address: string;
  /** It queries WG with its own key: it got none of the operator's. */
  readonly ownKey: boolean;

  constructor(
    readonly id: string,
    identity: SessionIdentity,
    readonly keyIndex: number,
    private readonly socket: SessionSocket,
  ) {
    this.name = identity.name;
    this.tokenName = identity.tokenName;
    this.tokenHash = identity.tokenHash ?? "";
    this.trust = identity.trust ?? "new";
    this.agreements = identity.agreements ?? 0;
    this.address = identity.address;
    this.ownKey = identity.ownKey !== undefined;
  }

  send(message: ServerMessage): void {
    if (this.state === "closed") return;
    if (message.type === "work") this.waitingFor = undefined;
    this.socket.send(JSON.stringify(message));
  }

  /** Tells the client why it gets no work, once per reason. */
  wait(reason: string): void {
    if (this.waitingFor === reason) return;
    this.waitingFor = reason;
    this.send({ type: "wait", reason });
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
      id: this.id,
      name: this.name,
      token: this.tokenName,
      address: this.address,
      key: this.ownKey ? "own" : `wg.keys.${this.keyIndex}`,
      state: this.state,
      rps: this.rps,
      inFlight: this.inFlight,
      batchesAccepted: this.batchesAccepted,
      idsAccepted: this.idsAccepted,
      invalidMessages: this.invalidMessages,
      refusedResults: this.refusedResults,
      connectedAt: new Date(this.connectedAt).toISOString(),
      connectedSeconds: Math.round((Date.now() - this.connectedAt) / 1000),
      lastMessageSeconds: Math.round((Date.now() - this.lastMessageAt) / 1000),
      reported: this.stats ?? null,
    };
  }
}
