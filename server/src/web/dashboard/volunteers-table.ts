/**
 * Volunteers today: the table a volunteer looks for their name in (admin:
 * names and addresses), or only the counts for anyone else.
 */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";
import type { VolunteerRow } from "../../tracker/volunteer-tally";
import { h, fill, table } from "./dom";
import { ago, count } from "./format";

/** A token control pressed in the table: suspend a connected volunteer's token, or crawl again what a suspended one answered today. */
export type TokenAction = (action: "suspend" | "recrawl", token: string) => void;

export function renderVolunteers(element: HTMLElement, s: DashboardSnapshot, act: TokenAction): void {
  const heading = h("h2", {}, "Volunteers today ", h("span", { class: "muted" }, `${count(s.clients.connected)} connected, ${count(s.clients.idsPerSecond)} IDs/s reported`));
  if (!s.volunteers) {
    fill(element, heading, h("p", { class: "muted", "data-testid": "volunteers-hidden" }, "Names and addresses are shown to the operator only (admin token or the tracker's own machine)."));
    return;
  }
  if (s.volunteers.length === 0) {
    fill(element, heading, h("p", { class: "empty", "data-testid": "no-volunteers" }, "No client has connected today. Give a volunteer a token (bun run server token add NAME) and the client command from the README."));
    return;
  }
  const totalIds = s.volunteers.reduce((sum, v) => sum + v.ids, 0);
  const rows = s.volunteers.map((v) => [
    h("span", { class: "name", "data-testid": "volunteer-name" }, v.name, v.token !== v.name ? h("span", { class: "muted" }, ` (token ${v.token})`) : null),
    state(v, s.now),
    count(v.batches),
    `${count(v.ids)}${totalIds > 0 ? ` (${((100 * v.ids) / totalIds).toFixed(0)}%)` : ""}`,
    v.connected ? count(v.idsPerSecond) : "–",
    rate(v),
    count(v.retries),
    h("span", { class: v.errors > 0 ? "bad" : "" }, count(v.errors)),
    v.trust ?? h("span", { class: "muted" }, "–"),
    h("span", { class: "muted" }, v.address),
    !s.controls.suspend ? "" : v.connected && v.trust !== "suspended" ? suspendButton(v.token, act) : v.trust === "suspended" ? recrawlButton(v.token, act) : "",
  ]);
  fill(
    element,
    heading,
    table(["name", "state", "batches", "IDs (share)", "IDs/s", "rate share", "retries", "errors", "trust", "address", ""], rows, { "data-testid": "volunteers-table" }),
  );
}

function state(v: VolunteerRow, now: number): Node {
  return v.connected
    ? h("span", { class: "ok", title: `connected ${ago(v.connectedSince ?? now, now)}` }, `connected ${ago(v.connectedSince ?? now, now).replace(" ago", "")}${v.sessions > 1 ? ` ×${v.sessions}` : ""}`)
    : h("span", { class: "muted" }, `left, seen ${ago(v.lastSeen, now)}`);
}

function rate(v: VolunteerRow): string {
  if (!v.connected) return "–";
  if (v.rps === null) return "no limit";
  return `${v.rps.toFixed(1)} req/s${v.rateShare !== null ? ` (${(100 * v.rateShare).toFixed(0)}% of key)` : ""}`;
}

function suspendButton(token: string, act: TokenAction): HTMLButtonElement {
  const button = h("button", { type: "button", class: "small", "data-action": "suspend", "data-name": token, title: `Suspend token ${token}: its clients are disconnected and its batches leased again` }, "Suspend");
  button.addEventListener("click", () => act("suspend", token));
  return button;
}

function recrawlButton(token: string, act: TokenAction): HTMLButtonElement {
  const button = h(
    "button",
    { type: "button", class: "small", "data-action": "recrawl", "data-name": token, title: `Crawl again, by other clients, today's batches token ${token} answered that no other token confirmed` },
    "Re-crawl its batches",
  );
  button.addEventListener("click", () => act("recrawl", token));
  return button;
}
