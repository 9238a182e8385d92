/**
 * The operator's buttons: pause / resume leasing, drain, run now. Built once
 * (a button re-created every second would lose clicks), then shown, hidden
 * and enabled per snapshot. Admin only: a visitor gets none.
 */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";
import type { ControlAction, ControlReply } from "../../ctl/actions";
import { h } from "./dom";
import { ago } from "./format";

export class ControlsBar {
  readonly element = h("div", { class: "controls", "data-testid": "controls" });
  private readonly buttons: Record<"pause" | "resume" | "drain" | "run-now", HTMLButtonElement>;
  private readonly note = h("span", { class: "muted", "data-testid": "leasing-note" });
  private drainArmedUntil = 0;

  constructor(private readonly act: (action: ControlAction) => Promise<ControlReply>) {
    const button = (action: "pause" | "resume" | "drain" | "run-now", label: string, title: string) => {
      const b = h("button", { type: "button", "data-action": action, title }, label);
      b.addEventListener("click", () => void this.click(action));
      return b;
    };
    this.buttons = {
      pause: button("pause", "Pause leasing", "Lease no new batches; batches in flight are still answered and written"),
      resume: button("resume", "Resume leasing", "Lease batches again"),
      drain: button("drain", "Drain and stop", "Finish what is in flight, lease nothing new, then stop the tracker (exit 0)"),
      "run-now": button("run-now", "Run now", "Start the next run now instead of at its scheduled time"),
    };
    this.element.append(...Object.values(this.buttons), this.note);
  }

  update(s: DashboardSnapshot): void {
    this.element.hidden = !s.admin;
    if (!s.admin) return;
    const { state, by, at } = s.leasing;
    const live = s.phase !== "stopping" && s.phase !== "finished";
    this.buttons.pause.hidden = state !== "open";
    this.buttons.resume.hidden = state !== "paused";
    this.buttons.drain.hidden = state === "draining";
    this.buttons["run-now"].hidden = !s.controls.runNow;
    this.buttons["run-now"].disabled = s.phase !== "waiting";
    for (const b of Object.values(this.buttons)) if (!live) b.disabled = true;
    if (this.drainArmedUntil < Date.now()) this.buttons.drain.textContent = "Drain and stop";
    const when = at ? ` ${ago(at, s.now)}` : "";
    this.note.textContent =
      state === "paused" ? `Leasing paused by ${by ?? "the operator"}${when}.` : state === "draining" ? `Draining (asked by ${by ?? "the operator"}${when}): stops once nothing is in flight.` : "";
  }

  private async click(action: "pause" | "resume" | "drain" | "run-now"): Promise<void> {
    if (action === "drain" && this.drainArmedUntil < Date.now()) {
      // Drain ends the tracker: a second click within 5 s confirms it.
      this.drainArmedUntil = Date.now() + 5_000;
      this.buttons.drain.textContent = "Click again to drain";
      return;
    }
    this.drainArmedUntil = 0;
    const button = this.buttons[action];
    button.disabled = true;
    try {
      await this.act(action);
    } finally {
      button.disabled = false;
    }
  }
}
