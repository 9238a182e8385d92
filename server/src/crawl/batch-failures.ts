/**
 * Batches that clients report as failed. One client failing a batch is that
 * client's trouble (its WG key, its network); several different clients
 * failing it is the batch's: it is set aside as failed with the last reason,
 * so the run can end, and the next run tries it again. A one-client setup
 * sets a batch aside after twice as many failures from that one client.
 */
export interface FailureVerdict {
  /** Set it aside: enough clients (or attempts) failed it. */
  setAside: boolean;
  attempts: number;
  clients: number;
  reason: string;
}

export class BatchFailures {
  private readonly failures = new Map<number, { sessions: Set<string>; attempts: number; reason: string }>();

  constructor(private readonly failAfterClients: number) {}

  report(batchId: number, sessionId: string, reason: string): FailureVerdict {
    let f = this.failures.get(batchId);
    if (!f) this.failures.set(batchId, (f = { sessions: new Set(), attempts: 0, reason }));
    f.sessions.add(sessionId);
    f.attempts++;
    f.reason = reason;
    const setAside = f.sessions.size >= this.failAfterClients || f.attempts >= 2 * this.failAfterClients;
    return { setAside, attempts: f.attempts, clients: f.sessions.size, reason };
  }

  /** Has this session failed the batch before (then it should go to another client first)? */
  failedBy(batchId: number, sessionId: string): boolean {
    return this.failures.get(batchId)?.sessions.has(sessionId) ?? false;
  }

  forget(batchId: number): void {
    this.failures.delete(batchId);
  }
}
