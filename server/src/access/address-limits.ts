/**
 * Per-address limits that keep one machine (or one attacker) from using up
 * the server: open work sockets per address, and register requests per address
 * in a sliding minute. Entries disappear when they fall to zero, so the maps
 * stay as small as the set of addresses active right now.
 */
export interface AddressLimitsOptions {
  maxConnections: number;
  registerPerMinute: number;
  now?: () => number;
}

const WINDOW_MS = 60_000;

export class AddressLimits {
  private readonly open = new Map<string, number>();
  private readonly registers = new Map<string, number[]>();
  private readonly now: () => number;
  private lastSweep = 0;
  readonly counters = { refusedConnections: 0, refusedRegisters: 0 };

  constructor(private readonly options: AddressLimitsOptions) {
    this.now = options.now ?? Date.now;
  }

  connections(address: string): number {
    return this.open.get(address) ?? 0;
  }

  atConnectionLimit(address: string): boolean {
    return this.connections(address) >= this.options.maxConnections;
  }

  /** Counts a new socket from `address`; false (and nothing counted) when it already has the maximum. */
  tryOpen(address: string): boolean {
    const count = this.connections(address);
    if (this.atConnectionLimit(address)) {
      this.counters.refusedConnections++;
      return false;
    }
    this.open.set(address, count + 1);
    return true;
  }

  closed(address: string): void {
    const count = this.connections(address) - 1;
    if (count > 0) this.open.set(address, count);
    else this.open.delete(address);
  }

  /** Counts a register request; false when `address` made registerPerMinute of them in the last minute. */
  tryRegister(address: string): boolean {
    const now = this.now();
    const recent = (this.registers.get(address) ?? []).filter((t) => now - t < WINDOW_MS);
    if (recent.length >= this.options.registerPerMinute) {
      this.registers.set(address, recent);
      this.counters.refusedRegisters++;
      return false;
    }
    recent.push(now);
    this.registers.set(address, recent);
    this.sweep(now);
    return true;
  }

  /** Seconds until `address` may register again. */
  retryAfterSeconds(address: string): number {
    const oldest = this.registers.get(address)?.[0];
    return oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + WINDOW_MS - this.now()) / 1000));
  }

  /** Forgets addresses whose requests are all older than the window (so a scan of many addresses is not kept). */
  private sweep(now: number): void {
    if (this.registers.size < 1024 || now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [address, times] of this.registers) {
      if (times.every((t) => now - t >= WINDOW_MS)) this.registers.delete(address);
    }
  }
}
