/** Latest events and errors, newest first (admin only: they name clients and addresses). */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";
import { ERROR_KINDS } from "../../events/event-ring";
import { h, fill } from "./dom";
import { clock } from "./format";

export function renderEvents(element: HTMLElement, s: DashboardSnapshot): void {
  const heading = h("h2", {}, "Latest events");
  if (!s.events) {
    fill(element, heading, h("p", { class: "muted" }, "Events name clients and addresses; they are shown to the operator only."));
    return;
  }
  if (s.events.length === 0) {
    fill(element, heading, h("p", { class: "empty" }, "Nothing has happened yet."));
    return;
  }
  fill(
    element,
    heading,
    h(
      "ol",
      { class: "events", "data-testid": "events" },
      ...s.events.map((event) =>
        h(
          "li",
          { class: ERROR_KINDS.has(event.kind) ? "error" : event.kind },
          h("time", {}, clock(event.at)),
          h("span", { class: `kind ${event.kind}` }, event.kind),
          h("span", { class: "text" }, event.text, event.count > 1 ? h("span", { class: "muted" }, ` ×${event.count}`) : null),
        ),
      ),
    ),
  );
}
