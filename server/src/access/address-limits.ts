/**
 * Per-address limits that keep one machine (or one attacker) from using up
 * the server: open work sockets per address, register requests per address
 * in a sliding minute, and refused work-socket requests (a wrong token, not
 * an upgrade) per address in a sliding minute, so a flood of bad upgrades is
 * answered 429 before each costs a token look-up in the database. Entries
 * disappear when they fall to zero, so the maps stay as small as the set of
 * addresses active right now.
 */
export interface AddressLimitsOptions {
  maxConnections: number;
  registerPerMinute: number;
  /** Refused work-socket requests per address per minute before the rest are refused unchecked. */
  failedUpgradesPerMinute?: number;
  now?: () => number;
}

const WINDOW_MS = 60_000;

/** Events per address in the last minute; an address whose events are all older is forgotten. */
class MinuteWindow {
  private readonly events = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
  ) {}

  get addresses(): number {
    return this.events.size;
  }

  full(address: string): boolean {
    const now = this.now();
    const recent = (this.events.get(address) ?? []).filter((t) => now - t < WINDOW_MS);
    if (recent.length > 0) this.events.set(address, recent);
    else this.events.delete(address);
    return recent.length >= this.limit;
  }

  add(address: string): void {
    const now = this.now();
    const list = this.events.get(address) ?? [];
    list.push(now);
    this.events.set(address, list);
    this.sweep(now);
  }

  retryAfterSeconds(address: string): number {
    const oldest = this.events.get(address)?.[0];
    return oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + WINDOW_MS - this.now()) / 1000));
  }

  /** Forgets addresses whose events are all older than the window (so a scan of many addresses is not kept). */
  private sweep(now: number): void {
    if (this.events.size < 1024 || now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [address, times] of this.events) {
      if (times.every((t) => now - t >= WINDOW_MS)) this.events.delete(address);
    }
  }
}

export class AddressLimits {
  private readonly open = new Map<string, number>();
  private readonly registers: MinuteWindow;
  private readonly failedUpgrades: MinuteWindow;
  readonly counters = { refusedConnections: 0, refusedRegisters: 0, refusedUpgrades: 0 };

  constructor(private readonly options: AddressLimitsOptions) {
    const now = options.now ?? Date.now;
    this.registers = new MinuteWindow(options.registerPerMinute, now);
    this.failedUpgrades = new MinuteWindow(options.failedUpgradesPerMinute ?? 30, now);
  }

  /** Addresses remembered by the minute windows (bounded by the addresses active in the last minute). */
  get trackedAddresses(): number {
    return this.registers.addresses + this.failedUpgrades.addresses;
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
    if (this.registers.full(address)) {
      this.counters.refusedRegisters++;
      return false;
    }
    this.registers.add(address);
    return true;
  }

  /** Seconds until `address` may register again. */
  retryAfterSeconds(address: string): number {
    return this.registers.retryAfterSeconds(address);
  }

  /** `address` had failedUpgradesPerMinute work-socket requests refused in the last minute: refuse this one unchecked. */
  tooManyFailedUpgrades(address: string): boolean {
    if (!this.failedUpgrades.full(address)) return false;
    this.counters.refusedUpgrades++;
    return true;
  }

  failedUpgrade(address: string): void {
    this.failedUpgrades.add(address);
  }

  upgradeRetryAfterSeconds(address: string): number {
    return this.failedUpgrades.retryAfterSeconds(address);
  }
}
