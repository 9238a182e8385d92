/** The last 30 days per volunteer (admin only: names). */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";
import { h, fill, table } from "./dom";
import { count } from "./format";

export function renderLeaderboard(element: HTMLElement, s: DashboardSnapshot): void {
  const board = s.leaderboard;
  const heading = h("h2", {}, `Leaderboard, last ${board?.days ?? 30} days`);
  if (!board) {
    fill(element, heading, h("p", { class: "muted" }, "Shown to the operator only."));
    return;
  }
  const source =
    board.source === "database"
      ? "From the run ledger."
      : "From what this tracker saw since it started (the run ledger has no record yet of who answered).";
  if (board.rows.length === 0) {
    fill(element, heading, h("p", { class: "empty" }, "No volunteer has answered a batch yet."), h("p", { class: "muted small" }, source));
    return;
  }
  fill(
    element,
    heading,
    table(
      ["#", "name", "IDs", "batches", "days", "last day"],
      board.rows.map((row, index) => [index + 1, h("span", { class: "name" }, row.name), count(row.ids), count(row.batches), count(row.days), row.lastDate]),
      { "data-testid": "leaderboard" },
    ),
    h("p", { class: "muted small" }, source),
  );
}
