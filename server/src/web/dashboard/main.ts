/**
 * The operator's dashboard: one snapshot a second from the tracker, drawn
 * into the sections of index.html. What a section shows depends on the
 * snapshot (a visitor's has counts only); the page itself holds no state
 * beyond the admin token.
 */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";
import type { ControlAction, ControlReply } from "../../ctl/actions";
import { AdminToken } from "./admin-token";
import { AdminForm } from "./admin-form";
import { LiveFeed } from "./live-feed";
import { sendControl } from "./send-control";
import { byId, fill, h } from "./dom";
import { renderRun } from "./run-panel";
import { ControlsBar } from "./controls-bar";
import { RunChart } from "./run-chart";
import { renderVolunteers } from "./volunteers-table";
import { renderEvents } from "./events-list";
import { renderLeaderboard } from "./leaderboard-table";
import { renderHistory } from "./history-table";

const token = new AdminToken();
const runSection = byId("run");
const runBody = h("div");
const controls = new ControlsBar((action) => act(action));
runSection.append(runBody, controls.element);
const chart = new RunChart(byId("chart"), byId("chart-empty"));
const toast = byId("toast");
let toastTimer: ReturnType<typeof setTimeout> | undefined;
let last: DashboardSnapshot | undefined;
let linkProblem: string | undefined;

const feed = new LiveFeed(() => token.headers(), {
  snapshot: (s) => {
    last = s;
    render(s);
  },
  linked: (up, why) => {
    linkProblem = up ? undefined : why ?? "lost";
    const link = byId("link");
    link.textContent = up ? "live" : "reconnecting…";
    link.className = `link-state ${up ? "up" : "down"}`;
    if (last) renderBanners(last);
  },
});
const adminForm = new AdminForm(byId<HTMLFormElement>("admin"), token, () => feed.restart());
feed.restart();

async function act(action: ControlAction, name?: string): Promise<ControlReply> {
  const reply = await sendControl(action, token.headers(), name);
  showToast(reply.message, reply.ok);
  return reply;
}

function showToast(message: string, ok: boolean): void {
  toast.textContent = message;
  toast.className = `toast shown ${ok ? "ok" : "bad"}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.className = "toast"), 6_000);
}

function render(s: DashboardSnapshot): void {
  byId("version").textContent = s.version;
  const phase = byId("phase");
  const label = s.leasing.state !== "open" && s.phase === "crawling" ? `${s.phase}, ${s.leasing.state}` : s.phase;
  phase.textContent = label;
  phase.className = `badge ${s.leasing.state !== "open" ? "warn" : s.phase === "crawling" ? "busy" : s.phase === "waiting" ? "ok" : ""}`;
  adminForm.update(s);
  renderBanners(s);
  renderRun(runBody, s);
  controls.update(s);
  chart.update(s.chart, s.run?.batches.total ?? 1);
  renderVolunteers(byId("volunteers"), s, (action, name) => void act(action, name));
  renderEvents(byId("events"), s);
  renderLeaderboard(byId("leaderboard"), s);
  renderHistory(byId("history"), s);
  document.title = s.run && s.run.state === "crawling" ? `${Math.floor((100 * s.run.batches.done) / Math.max(1, s.run.batches.total))}% · wotc-tracker` : "wotc-tracker";
}

function renderBanners(s: DashboardSnapshot): void {
  const banners: Node[] = [];
  if (linkProblem) banners.push(h("div", { class: "banner bad", "data-testid": "banner-link" }, `Connection to the tracker lost (${linkProblem}); retrying. The figures below are from ${new Date(s.now).toISOString().slice(11, 19)} UTC.`));
  const trouble = s.run?.dbTrouble;
  if (trouble) {
    const what = trouble.kind === "blocking" ? `The database cannot write: ${trouble.name}. ${trouble.hint}.` : `The database is unavailable (${trouble.name}).`;
    const detail = "error" in trouble && trouble.error ? ` (${trouble.error})` : "";
    banners.push(h("div", { class: "banner bad", "data-testid": "banner-db" }, `${what}${detail} Leasing is paused until writes succeed again; nothing received is lost.`));
  }
  if (s.leasing.state === "paused") banners.push(h("div", { class: "banner warn", "data-testid": "banner-paused" }, "Leasing is paused: clients finish what they hold and then wait."));
  if (s.leasing.state === "draining") banners.push(h("div", { class: "banner warn" }, "Draining: the tracker stops once the batches in flight are answered."));
  if (s.phase === "stopping" || s.phase === "finished") banners.push(h("div", { class: "banner warn" }, "The tracker is stopping."));
  fill(byId("banners"), ...banners);
}
