/**
 * The operator's controls on a running tracker, whoever asks (the dashboard,
 * `bun run server ctl`, a test): pause and resume leasing, drain, run now
 * (scheduled mode), suspend and reinstate a token, and crawl again what a
 * suspended token answered today. Each answers a sentence and logs who did it.
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
      case "recrawl":
        if (!name) return { ok: false, message: `${action} needs a token name` };
        return action === "suspend" ? this.suspend(name, who) : action === "reinstate" ? this.reinstate(name, who) : this.recrawl(name, who);
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
    const reason = `suspended by the operator (${who})`;
    if (!(await this.deps.tokens.suspend(name, reason))) return { ok: false, message: `no active, unsuspended token named ${name}` };
    this.deps.crawl()?.operatorSuspended(name, reason);
    // Its sockets close now and their leases return to the queue; it cannot register again while suspended.
    const hashes = new Set([...this.deps.hub.all()].filter((s) => s.tokenName === name).map((s) => s.tokenHash));
    let dropped = 0;
    for (const hash of hashes) dropped += this.deps.hub.dropToken(hash, "token suspended by the operator");
    this.deps.log(`control: token ${name} suspended (by ${who}); ${dropped} client${dropped === 1 ? "" : "s"} disconnected, their batches leased again`);
    return { ok: true, message: `${name} suspended; ${dropped} client${dropped === 1 ? "" : "s"} disconnected` };
  }

  /**
   * The operator no longer believes what a token sent today (a broken or
   * dishonest machine found some other way): its batches that no other token
   * confirmed are crawled again by other clients and repaired, as after a
   * client caught lying. Only for a suspended token: while its clients may
   * connect, they could be given the same batches again.
   */
  private async recrawl(name: string, who: string): Promise<ControlReply> {
    const crawl = this.deps.crawl();
    if (!crawl || this.deps.phase() !== "crawling") return { ok: false, message: `no run is going: re-crawling works during the run of the day the batches were answered` };
    const token = await this.deps.tokens.get(name);
    if (!token) return { ok: false, message: `no token named ${name}` };
    if (!token.suspendedAt) return { ok: false, message: `suspend ${name} first: while its clients may connect they could be given the same batches again` };
    const again = crawl.recrawlToken(name);
    this.deps.log(`control: re-crawl of token ${name}'s batches (by ${who}); ${again} batch${again === 1 ? "" : "es"} of ${crawl.date} crawled again`);
    return { ok: true, message: `${again} batch${again === 1 ? "" : "es"} answered by ${name} today ${again === 1 ? "is" : "are"} crawled again by other clients (those no other token confirmed)` };
  }

  private async reinstate(name: string, who: string): Promise<ControlReply> {
    if (!(await this.deps.tokens.reinstate(name))) return { ok: false, message: `no suspended token named ${name}` };
    this.deps.crawl()?.reinstated(name, "new");
    this.deps.log(`control: token ${name} reinstated (by ${who}); its answers are checked again until it earns trust`);
    return { ok: true, message: `${name} reinstated; its client may connect again` };
  }
}
