/** Where the client's lines go: progress to stdout, problems to stderr. */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

export const consoleLogger: Logger = {
  info: (line) => process.stdout.write(`${stamp()} ${line}\n`),
  warn: (line) => process.stderr.write(`${stamp()} warning: ${line}\n`),
  error: (line) => process.stderr.write(`${stamp()} error: ${line}\n`),
};

/**
 * Says a recurring problem once per window instead of once per batch, then
 * how many more times it happened: an operator wants to see "the key is
 * invalid", not ten thousand copies of it.
 */
export class RepeatFilter {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly emit: (line: string) => void,
    private readonly windowMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  report(key: string, line: string): void {
    const now = this.now();
    const entry = this.seen.get(key);
    if (entry && now - entry.at < this.windowMs) {
      entry.suppressed++;
      return;
    }
    const more = entry?.suppressed ? ` (${entry.suppressed} more like this since the last report)` : "";
    this.seen.set(key, { at: now, suppressed: 0 });
    if (this.seen.size > 1000) this.seen.clear(); // keys are reasons; bound them anyway
    this.emit(line + more);
  }
}
