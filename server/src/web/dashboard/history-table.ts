/** The last days: each run's completeness, duration and players found (counts: for anyone). */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";
import { h, fill, table } from "./dom";
import { count, duration, percent } from "./format";

export function renderHistory(element: HTMLElement, s: DashboardSnapshot): void {
  const heading = h("h2", {}, "Last days");
  const error = s.historyError ? h("p", { class: "bad" }, s.historyError) : null;
  if (s.history.length === 0) {
    fill(element, heading, error, h("p", { class: "empty" }, "No run yet."));
    return;
  }
  const rows = s.history.map((run) => {
    const complete = run.batchesCommitted >= run.batchesTotal;
    return [
      run.date,
      h("span", { class: run.state === "complete" ? "ok" : "busy" }, run.state),
      h(
        "span",
        { class: complete ? "" : "warn" },
        `${count(run.batchesCommitted)} / ${count(run.batchesTotal)} (${percent(run.batchesCommitted, run.batchesTotal)})`,
      ),
      run.batchesFailed === null ? h("span", { class: "muted" }, "–") : h("span", { class: run.batchesFailed > 0 ? "bad" : "" }, count(run.batchesFailed)),
      run.finishedAt ? duration((run.finishedAt - run.startedAt) / 1000) : h("span", { class: "muted" }, "running"),
      count(run.playersFound),
      h("span", { class: run.errors > 0 ? "warn" : "" }, count(run.errors)),
    ];
  });
  fill(element, heading, error, table(["date", "state", "batches committed", "failed", "duration", "players found", "errors"], rows, { "data-testid": "history" }));
}
