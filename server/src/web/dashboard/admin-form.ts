/**
 * The header's admin corner: says how this browser is admin (the tracker's own
 * machine, or the token kept here), or offers the token field.
 */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";
import type { AdminToken } from "./admin-token";
import { h, fill } from "./dom";

export class AdminForm {
  private shownFor: string | undefined;

  constructor(
    private readonly form: HTMLFormElement,
    private readonly token: AdminToken,
    private readonly changed: () => void,
  ) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = form.querySelector("input");
      if (!input || !input.value.trim()) return;
      token.set(input.value.trim());
      changed();
    });
  }

  update(s: DashboardSnapshot): void {
    const stored = this.token.value !== null;
    const mode = s.admin ? (stored ? "token" : "loopback") : stored ? "refused" : "visitor";
    if (mode === this.shownFor) return; // keep what is being typed
    this.shownFor = mode;
    const signOut = () => {
      const b = h("button", { type: "button", class: "small" }, "Forget token");
      b.addEventListener("click", () => {
        this.token.set(null);
        this.changed();
      });
      return b;
    };
    if (mode === "loopback") fill(this.form, h("span", { class: "ok", "data-testid": "admin-state" }, "admin (this machine)"));
    else if (mode === "token") fill(this.form, h("span", { class: "ok", "data-testid": "admin-state" }, "admin (token)"), signOut());
    else {
      fill(
        this.form,
        mode === "refused" ? h("span", { class: "bad", "data-testid": "admin-state" }, "token refused") : h("span", { class: "muted", "data-testid": "admin-state" }, "visitor"),
        h("input", { type: "password", name: "token", placeholder: "admin token", "aria-label": "admin token", autocomplete: "off" }),
        h("button", { type: "submit", class: "small" }, "Sign in"),
        mode === "refused" ? signOut() : null,
      );
    }
  }
}
