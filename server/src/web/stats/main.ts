/**
 * The public statistics page (GET /stats, and index.html of the static
 * export): the daily figures over a chosen range of dates, and one chosen
 * day's battle-count buckets and account ages. Every chart marks the days
 * that are incomplete or cover several days, and says under it what it
 * counts. Only aggregates are on it: no player is named anywhere.
 */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { byId, fill, h } from "../dashboard/dom";
import { count } from "../dashboard/format";
import { BarsChart, type Bars } from "./bars-chart";
import { dayMarks, explainDay, PLATFORMS, spansDays, toDays, type Day } from "./days";
import { ACCOUNT_AGE_TEXT, BUCKETS, BUCKETS_TEXT, SERIES } from "./figures";
import { loadStats } from "./load";
import { SeriesChart } from "./series-chart";
import { fragmentOf, initialState, inRange, lastDays, nearestDay, type ViewState } from "./view-state";

void start().catch((error: Error) => showProblem(`The page failed: ${error.message}`));

async function start(): Promise<void> {
  const loaded = await loadStats().catch((error: Error) => {
    byId("origin").textContent = "no figures";
    showProblem(`The statistics could not be loaded: ${error.message}`);
    return undefined;
  });
  if (!loaded) return;
  const days = toDays(loaded.daily, loaded.accountAge);
  if (days.length > 0) fill(byId("downloads"), "The figures as files: ", ...loaded.downloads.flatMap((d, i) => [i > 0 ? " · " : "", h("a", { href: d.href }, d.label)]));
  if (days.length === 0) {
    byId("origin").textContent = loaded.origin;
    byId("empty").hidden = false;
    return;
  }
  byId("origin").textContent = `${loaded.origin}; ${days.length} crawled date${days.length === 1 ? "" : "s"}, ${days[0]!.date} to ${days.at(-1)!.date}`;
  byId("content").hidden = false; // before the charts are made: they take their width from the page
  new StatsPage(days, initialState(days, location.hash)).render();
}

class StatsPage {
  private readonly series: SeriesChart[];
  private readonly buckets: BarsChart;
  private readonly ages: BarsChart;
  private readonly from = byId<HTMLInputElement>("from");
  private readonly to = byId<HTMLInputElement>("to");
  private readonly daySelect = byId<HTMLSelectElement>("day");

  constructor(
    private readonly days: readonly Day[],
    private state: ViewState,
  ) {
    const grid = byId("series");
    this.series = SERIES.map((text) => new SeriesChart(chartCard(grid, text.figure, text.title, text.description, "series"), text, (date) => this.pickDay(date)));
    const dayGrid = byId("day-charts");
    this.buckets = new BarsChart(chartCard(dayGrid, "buckets", BUCKETS_TEXT.title, BUCKETS_TEXT.description, "day"), "battles", "all buckets");
    this.ages = new BarsChart(chartCard(dayGrid, "account-age", ACCOUNT_AGE_TEXT.title, ACCOUNT_AGE_TEXT.description, "day"), "created", "all years");
    this.wireControls();
    window.addEventListener("resize", () => {
      for (const chart of [...this.series, this.buckets, this.ages]) chart.resize();
    });
  }

  render(): void {
    const shown = inRange(this.days, this.state);
    this.from.value = this.state.from;
    this.to.value = this.state.to;
    // One button lit, the one whose range is shown: "all" before a longer preset that reaches back as far.
    const buttons = [...document.querySelectorAll<HTMLButtonElement>("#range [data-days]")];
    const lit = [...buttons].sort((a, b) => (a.dataset.days === "all" ? -1 : b.dataset.days === "all" ? 1 : 0)).find((button) => {
      const preset = lastDays(this.days, presetDays(button));
      return preset.from === this.state.from && preset.to === this.state.to;
    });
    for (const button of buttons) button.setAttribute("aria-pressed", String(button === lit));
    byId("range-summary").textContent = summarise(shown, this.state);
    for (const chart of this.series) chart.show(shown);
    this.renderDay();
    history.replaceState(null, "", fragmentOf(this.state));
  }

  private renderDay(): void {
    const day = this.days.find((d) => d.date === this.state.day)!;
    this.daySelect.value = day.date;
    const marks = dayMarks(day);
    fill(byId("day-heading"), `On ${day.date}`, ...badges(day));
    const notes = explainDay(day);
    fill(
      byId("day-notes"),
      ...(notes.length > 0 ? notes.map((line) => h("li", { class: "mark" }, line)) : [h("li", {}, "A complete day, one day after the previous crawl.")]),
      h("li", { class: "muted" }, `${count(day.rows.all?.active_accounts)} active accounts, ${count(day.rows.all?.battles)} battles${marks ? ` (${marks})` : ""}.`),
    );
    for (const chart of this.series) chart.showPicked(day.t);
    this.buckets.show(bucketBars(day));
    this.ages.show(ageBars(day));
  }

  private pickDay(date: string): void {
    this.state = { ...this.state, day: date };
    this.renderDay();
    history.replaceState(null, "", fragmentOf(this.state));
  }

  private wireControls(): void {
    const first = this.days[0]!.date;
    const last = this.days.at(-1)!.date;
    for (const input of [this.from, this.to]) {
      input.min = first;
      input.max = last;
      input.addEventListener("change", () => {
        if (!input.value) return;
        let [from, to] = [this.from.value || first, this.to.value || last];
        if (from > to) [from, to] = input === this.from ? [from, from] : [to, to];
        this.state = { ...this.state, from, to };
        this.render();
      });
    }
    for (const button of document.querySelectorAll<HTMLButtonElement>("#range [data-days]")) {
      button.addEventListener("click", () => {
        this.state = { ...this.state, ...lastDays(this.days, presetDays(button)) };
        this.render();
      });
    }
    fill(this.daySelect, ...[...this.days].reverse().map((d) => h("option", { value: d.date }, `${d.date}${dayMarks(d) ? ` (${dayMarks(d)})` : ""}`)));
    this.daySelect.addEventListener("change", () => this.pickDay(nearestDay(this.days, this.daySelect.value)));
  }
}

/** A preset button's number of days (null: all of them). */
const presetDays = (button: HTMLButtonElement): number | null => (button.dataset.days === "all" ? null : Number(button.dataset.days));

/** A chart's card: heading, the chart, the key to its marks, and what it counts. */
function chartCard(parent: HTMLElement, name: string, title: string, description: string, kind: "series" | "day"): HTMLElement {
  const chart = h("div", { class: "chart", "data-testid": `chart-${name}` });
  const key =
    kind === "series"
      ? [
          h("li", {}, h("span", { class: "swatch ring" }), "incomplete day (ringed points)"),
          h("li", {}, h("span", { class: "swatch band" }), "shaded: the day covers several days (a crawl was missed)"),
          h("li", {}, h("span", { class: "swatch picked" }), "dashed: the day shown below"),
        ]
      : [h("li", {}, h("span", { class: "swatch hatch" }), "hatched bars: the day is incomplete")];
  parent.append(
    h("section", { class: "card", "data-figure": name }, h("h3", {}, title), chart, h("ul", { class: "key", "data-testid": `key-${name}` }, ...key), h("p", { class: "about" }, description)),
  );
  return chart;
}

function badges(day: Day): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (!day.complete) out.push(h("span", { class: "badge incomplete", "data-testid": "badge-incomplete" }, "incomplete"));
  if (spansDays(day)) out.push(h("span", { class: "badge span", "data-testid": "badge-span" }, `covers ${day.span} days`));
  return out;
}

function bucketBars(day: Day): Bars {
  const values = Object.fromEntries(PLATFORMS.map((p) => [p, BUCKETS.map((b) => day.rows[p]?.[b.column] ?? 0)])) as Bars["values"];
  return { labels: BUCKETS.map((b) => b.label), values, hatched: !day.complete };
}

function ageBars(day: Day): Bars {
  const years = [...new Set(day.ages.map((r) => r.created_year))].sort((a, b) => a - b);
  const at = new Map(day.ages.map((r) => [`${r.platform} ${r.created_year}`, r.active_accounts]));
  const values = Object.fromEntries(PLATFORMS.map((p) => [p, years.map((y) => at.get(`${p} ${y}`) ?? 0)])) as Bars["values"];
  return { labels: years.map(String), values, hatched: !day.complete };
}

/** "5 crawled dates from … to …: 2 incomplete (…), 1 covering several days (…)." */
function summarise(shown: readonly Day[], state: ViewState): string {
  if (shown.length === 0) return `No crawled date between ${state.from} and ${state.to}.`;
  const incomplete = shown.filter((d) => !d.complete);
  const spans = shown.filter(spansDays);
  const parts = [
    incomplete.length === 0 ? "all complete" : `${incomplete.length} incomplete (${incomplete.map((d) => d.date).join(", ")})`,
    spans.length === 0 ? "each one day after the previous crawl" : `${spans.length} covering several days (${spans.map((d) => `${d.date}: ${d.span} days`).join(", ")})`,
  ];
  return `${shown.length} crawled date${shown.length === 1 ? "" : "s"} from ${shown[0]!.date} to ${shown.at(-1)!.date}: ${parts.join("; ")}.`;
}

function showProblem(text: string): void {
  const problem = byId("problem");
  problem.textContent = text;
  problem.hidden = false;
}
