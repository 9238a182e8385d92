/**
 * What this client has done, for the server's /api/status (a `stats` message)
 * and the progress line. Counters are cumulative across reconnects; rates are
 * measured between two snapshots.
 */
import type { ClientStats } from "@wotc/schema/wire/messages";

/** Why a WG request was retried, in the operator's words. */
export type RetryKind =
  | "rate-limited"
  | "source-not-available"
  | "http-error"
  | "html-page"
  | "bad-json"
  | "bad-shape"
  | "timeout"
  | "network";

export class ClientCounters {
  batchesDone = 0;
  batchesFailed = 0;
  requests = 0;
  retries = 0;
  rateLimited = 0;
  /** IDs covered by successfully answered requests. */
  ids = 0;
  players = 0;
  /** Rows WG returned for IDs that were not asked for (dropped). */
  strayRows = 0;
  readonly retryKinds = new Map<RetryKind, number>();

  private lastAt: number;
  private lastIds = 0;
  private lastRequests = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.lastAt = now();
  }

  countRetry(kind: RetryKind): void {
    this.retryKinds.set(kind, (this.retryKinds.get(kind) ?? 0) + 1);
  }

  /** The stats message body; rates cover the time since the previous snapshot. */
  snapshot(): ClientStats {
    const now = this.now();
    const seconds = Math.max((now - this.lastAt) / 1000, 1e-3);
    const stats: ClientStats = {
      batchesDone: this.batchesDone,
      batchesFailed: this.batchesFailed,
      requests: this.requests,
      retries: this.retries,
      rateLimited: this.rateLimited,
      idsPerSecond: round1((this.ids - this.lastIds) / seconds),
      requestsPerSecond: round1((this.requests - this.lastRequests) / seconds),
    };
    this.lastAt = now;
    this.lastIds = this.ids;
    this.lastRequests = this.requests;
    return stats;
  }

  /** "rate-limited 3, timeout 1" — empty when nothing was retried. */
  describeRetries(): string {
    return [...this.retryKinds].map(([kind, n]) => `${kind} ${n}`).join(", ");
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
