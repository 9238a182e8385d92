/**
 * The operator's hold on leasing. Its state changes only through `move`:
 *   open ⇄ paused
 *   open | paused → draining   (final: the tracker exits once nothing is in flight)
 * While not open the crawl leases nothing new (it asks `whyHeld`); batches
 * already leased are still answered and written.
 */
import type { LeasingGate } from "../crawl/crawl";
import type { ControlReply } from "../ctl/actions";

export type LeasingState = "open" | "paused" | "draining";

export class LeasingControls implements LeasingGate {
  state: LeasingState = "open";
  /** Who changed the state last, and when: shown on the dashboard. */
  changedBy: { who: string; at: number } | undefined;

  constructor(
    private readonly log: (line: string) => void,
    /** Leasing may go on: tell the crawl to lease to everyone waiting. */
    private readonly reopened: () => void,
    /** Drain asked: the tracker watches the batches in flight and stops when none are left. */
    private readonly drainStarted: () => void,
  ) {}

  whyHeld(): string | undefined {
    if (this.state === "paused") return "leasing is paused by the operator";
    if (this.state === "draining") return "the tracker is draining and will stop; no new batches";
    return undefined;
  }

  pause(who: string): ControlReply {
    if (this.state !== "open") return { ok: false, message: `leasing is already ${this.state === "paused" ? "paused" : "stopped (draining)"}` };
    this.move("paused", who, "leasing paused; batches in flight are still answered and written");
    return { ok: true, message: "leasing paused" };
  }

  resume(who: string): ControlReply {
    if (this.state === "draining") return { ok: false, message: "the tracker is draining; a drain cannot be undone" };
    if (this.state === "open") return { ok: false, message: "leasing is not paused" };
    this.move("open", who, "leasing resumed");
    this.reopened();
    return { ok: true, message: "leasing resumed" };
  }

  drain(who: string): ControlReply {
    if (this.state === "draining") return { ok: false, message: "already draining" };
    this.move("draining", who, "draining: nothing new is leased; the tracker stops (exit 0) once the batches in flight are answered");
    this.drainStarted();
    return { ok: true, message: "draining: the tracker stops once the batches in flight are answered" };
  }

  private move(next: LeasingState, who: string, what: string): void {
    this.state = next;
    this.changedBy = { who, at: Date.now() };
    this.log(`control: ${what} (by ${who})`);
  }
}
