/**
 * The latest events an operator looks at on the dashboard (connects, drops,
 * refused results, database trouble, controls), newest first. Bounded: a
 * client sending thousands of bad messages fills one entry with a count, and
 * the oldest entries fall off, so memory stays the same however long the
 * tracker runs.
 */
export const EVENT_KINDS = ["connect", "disconnect", "refused", "database", "control", "run", "warning", "recovery"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Kinds shown as errors (red) on the page. */
export const ERROR_KINDS: ReadonlySet<EventKind> = new Set(["refused", "database", "warning"]);

export interface TrackerEvent {
  seq: number;
  /** Milliseconds since the epoch of the latest occurrence. */
  at: number;
  kind: EventKind;
  text: string;
  /** Occurrences folded into this entry (the same text, one after the other). */
  count: number;
}

export class EventRing {
  private readonly entries: TrackerEvent[] = [];
  private nextSeq = 1;

  constructor(
    readonly capacity = 200,
    private readonly now: () => number = Date.now,
  ) {}

  add(kind: EventKind, text: string): TrackerEvent {
    const last = this.entries.at(-1);
    if (last && last.kind === kind && last.text === text) {
      last.count++;
      last.at = this.now();
      return last;
    }
    const event = { seq: this.nextSeq++, at: this.now(), kind, text, count: 1 };
    this.entries.push(event);
    if (this.entries.length > this.capacity) this.entries.shift();
    return event;
  }

  /** Up to `limit` events, newest first. */
  latest(limit = this.capacity): TrackerEvent[] {
    return this.entries.slice(-limit).reverse().map((event) => ({ ...event }));
  }
}
