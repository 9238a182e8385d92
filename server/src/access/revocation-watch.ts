/**
 * Token revocation reaches open sockets: every few seconds the tokens of the
 * connected clients are looked up again, and a client whose token was revoked
 * (by `token revoke` in another process) is
 * disconnected; closing its session returns its leases to the queue.
 * A failed look-up (database restarting) changes nothing: clients are only
 * dropped on a clear answer.
 */
export interface RevocationWatchDeps {
  /** The tokens (their hashes) the connected clients hold. */
  connected(): Iterable<string>;
  /** Of these tokens, those still valid. */
  stillValid(tokens: string[]): Promise<Set<string>>;
  /** Disconnect every client holding this token. */
  disconnect(token: string): void;
  /** Who holds the token, for the log line (default: the token as given). */
  label?(token: string): string;
  log(line: string): void;
}

export class RevocationWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking = false;
  private failing = false;
  readonly counters = { checks: 0, failedChecks: 0, revokedDisconnects: 0 };

  constructor(
    private readonly deps: RevocationWatchDeps,
    private readonly everyMs = 2_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(): Promise<void> {
    if (this.checking) return;
    const names = [...new Set(this.deps.connected())];
    if (names.length === 0) return;
    this.checking = true;
    try {
      const valid = await this.deps.stillValid(names);
      this.counters.checks++;
      if (this.failing) this.deps.log("token check works again");
      this.failing = false;
      for (const name of names) {
        if (valid.has(name)) continue;
        this.counters.revokedDisconnects++;
        this.deps.log(`token of ${this.deps.label?.(name) ?? name} was revoked or replaced: disconnecting its clients`);
        this.deps.disconnect(name);
      }
    } catch (error) {
      this.counters.failedChecks++;
      if (!this.failing) this.deps.log(`cannot check tokens for revocation (${error instanceof Error ? error.message : String(error)}); will retry`);
      this.failing = true;
    } finally {
      this.checking = false;
    }
  }
}
