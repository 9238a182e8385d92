/** The run card: date and state, progress, IDs/s, ETA, players found, the database's queue and state. */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";
import { h, fill } from "./dom";
import { count, duration, percent, plural } from "./format";

export function renderRun(element: HTMLElement, s: DashboardSnapshot): void {
  const run = s.run;
  if (!run) {
    fill(
      element,
      h("h2", {}, "Run"),
      h("p", { class: "empty", "data-testid": "no-run" }, s.waiting ? `No run is going: ${s.waiting}.` : s.phase === "starting" ? "Starting…" : "No run is going."),
    );
    return;
  }
  const { total, done, leased, writing, queued, failed, checking, held } = run.batches;
  const v = run.verification;
  const complete = run.state === "complete";
  // A complete run's time is its own (elapsed would go on growing while the schedule waits).
  const stored = s.history.find((row) => row.date === run.date && row.finishedAt !== null);
  const took = complete && stored ? (stored.finishedAt! - stored.startedAt) / 1000 : run.elapsedSeconds;
  const stat = (label: string, value: string, testid: string, extra = "") =>
    h("div", { class: `stat ${extra}` }, h("span", { class: "label" }, label), h("span", { class: "value", "data-testid": testid }, value));
  fill(
    element,
    h("h2", {}, "Run ", h("span", { "data-testid": "run-date" }, run.date), " ", h("span", { class: `badge ${complete ? "ok" : "busy"}`, "data-testid": "run-state" }, run.state)),
    h(
      "div",
      { class: "progress", title: `${count(done)} of ${count(total)} batches committed` },
      h("div", { class: "bar", style: `width:${total > 0 ? (100 * done) / total : 0}%` }),
    ),
    h(
      "div",
      { class: "stats" },
      stat("batches done", `${count(done)} / ${count(total)} (${percent(done, total)})`, "batches-done"),
      stat("IDs/s now", count(run.idsPerSecond), "ids-per-second"),
      stat("ETA", complete ? "done" : duration(run.etaSeconds), "eta"),
      stat("players found", count(run.playersFound), "players-found"),
      stat("in flight", `${count(leased + checking)} leased, ${count(queued)} queued`, "in-flight"),
      v.enabled ? stat("checked", `${percent(v.committed.agreed + v.committed.repaired, done)}${held > 0 ? `, ${count(held)} waiting` : ""}`, "checked") : null,
      failed > 0 ? stat("failed", `${plural(failed, "batch", "batches")} set aside`, "failed", "bad") : null,
      stat("DB queue", `${plural(run.dbPendingChunks, "chunk")}, ${plural(writing, "batch", "batches")}`, "db-queue"),
      stat("DB state", run.dbTrouble ? `${run.dbTrouble.name} (see above)` : "ok", "db-state", run.dbTrouble ? "bad" : ""),
      stat(complete ? "took" : "elapsed", duration(took), "elapsed"),
    ),
    s.waiting ? h("p", { class: "muted next", "data-testid": "waiting" }, `Next: ${s.waiting}.`) : null,
    run.failedBatches.length > 0
      ? h(
          "p",
          { class: "muted", "data-testid": "failed-batches" },
          `Set aside (the next run tries them again): ${run.failedBatches
            .map((f) => `${f.platform} [${count(f.start)}, ${count(f.end)})${"reason" in f ? `: ${f.reason}` : ""}`)
            .join("; ")}`,
        )
      : null,
  );
}
