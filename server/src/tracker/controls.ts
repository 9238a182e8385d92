/**
 * The operator's controls on a running tracker, whoever asks (the dashboard,
 * `bun run server ctl`, a test): pause and resume leasing, drain, run now
 * (scheduled mode), suspend and reinstate a token. Each answers a sentence
 * and logs who did it.
 */
import type { Crawl } from "../crawl/crawl";
import type { ClientHub } from "../ws/hub";
import type { TokenStore } from "../tokens";
import type { ControlAction, ControlReply } from "../ctl/actions";
import type { LeasingControls } from "./leasing-controls";
import type { TrackerPhase } from "./dashboard-feed";

export interface TrackerControlsDeps {
  serve: boolean;
  leasing: LeasingControls;
  hub: ClientHub;
  tokens: TokenStore;
  log: (line: string) => void;
  phase(): TrackerPhase;
  crawl(): Crawl | undefined;
  /** The controller that ends the current wait between runs, if the schedule is waiting. */
  wake(): AbortController | undefined;
}

export class TrackerControls {
  readonly available: { runNow: boolean; suspend: boolean };

  constructor(private readonly deps: TrackerControlsDeps) {
    this.available = { runNow: deps.serve, suspend: true };
  }

  async run(action: ControlAction, name: string | undefined, who: string): Promise<ControlReply> {
    switch (action) {
      case "pause":
        return this.deps.leasing.pause(who);
      case "resume":
        return this.deps.leasing.resume(who);
      case "drain":
        return this.deps.leasing.drain(who);
      case "run-now":
        return this.runNow(who);
      case "suspend":
      case "reinstate":
        if (!name) return { ok: false, message: `${action} needs a token name` };
        return action === "suspend" ? this.suspend(name, who) : this.reinstate(name, who);
    }
  }

  private runNow(who: string): ControlReply {
    if (!this.deps.serve) return { ok: false, message: "run now is for scheduled mode (--serve); this tracker runs one day and stops" };
    const phase = this.deps.phase();
    const wake = this.deps.wake();
    if (phase === "crawling") return { ok: false, message: `run ${this.deps.crawl()?.date ?? ""} is going already` };
    if (wake?.signal.aborted) return { ok: false, message: "a run is starting already" };
    if (phase !== "waiting" || !wake || wake.signal.aborted) return { ok: false, message: `the tracker is ${phase}; run now works while it waits for the next run` };
    this.deps.log(`control: run now (by ${who})`);
    wake.abort();
    return { ok: true, message: "starting the next run now" };
  }

  private async suspend(name: string, who: string): Promise<ControlReply> {
    if (!(await this.deps.tokens.suspend(name, `suspended by the operator (${who})`))) return { ok: false, message: `no active, unsuspended token named ${name}` };
    // Its sockets close now and their leases return to the queue; it cannot register again while suspended.
    const hashes = new Set([...this.deps.hub.all()].filter((s) => s.tokenName === name).map((s) => s.tokenHash));
    let dropped = 0;
    for (const hash of hashes) dropped += this.deps.hub.dropToken(hash, "token suspended by the operator");
    this.deps.log(`control: token ${name} suspended (by ${who}); ${dropped} client${dropped === 1 ? "" : "s"} disconnected, their batches leased again`);
    return { ok: true, message: `${name} suspended; ${dropped} client${dropped === 1 ? "" : "s"} disconnected` };
  }

  private async reinstate(name: string, who: string): Promise<ControlReply> {
    if (!(await this.deps.tokens.reinstate(name))) return { ok: false, message: `no suspended token named ${name}` };
    this.deps.log(`control: token ${name} reinstated (by ${who}); its answers are checked again until it earns trust`);
    return { ok: true, message: `${name} reinstated; its client may connect again` };
  }
}
