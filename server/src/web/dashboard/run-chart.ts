/** The run over time with uPlot: IDs/s (left axis) and batches done (right axis). */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { SeriesColumns } from "../../tracker/run-series";

/** 24-hour UTC times, with seconds only when the ticks are less than a minute apart. */
function utcTime(seconds: number, splits: number[]): string {
  const step = splits.length > 1 ? splits[1]! - splits[0]! : 60;
  return new Date(seconds * 1000).toISOString().slice(11, step < 60 ? 19 : 16);
}

export class RunChart {
  private plot: uPlot | undefined;
  private totalBatches = 1;

  constructor(
    private readonly element: HTMLElement,
    private readonly empty: HTMLElement,
  ) {
    window.addEventListener("resize", () => this.plot?.setSize(this.size()));
  }

  /** `totalBatches`: the right axis goes up to the whole run, so the line shows how far along it is. */
  update(chart: SeriesColumns, totalBatches: number): void {
    this.totalBatches = totalBatches;
    const hasData = chart.t.length >= 2;
    this.empty.hidden = hasData;
    this.element.hidden = !hasData;
    if (!hasData) return;
    const data: uPlot.AlignedData = [chart.t, chart.idsPerSecond, chart.batchesDone];
    if (!this.plot) this.plot = new uPlot(this.options(), data, this.element);
    else this.plot.setData(data);
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(300, this.element.clientWidth || this.element.parentElement!.clientWidth - 32), height: 220 };
  }

  private options(): uPlot.Options {
    const thousands = (value: number) => (Math.abs(value) >= 1000 ? `${+(value / 1000).toFixed(1)}k` : String(Math.round(value)));
    return {
      ...this.size(),
      // Series names only; the values at the cursor would read "–" whenever the mouse is elsewhere.
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      // UTC, like the logs and the rest of the page.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      scales: {
        x: { time: true },
        ids: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] },
        done: { range: () => [0, Math.max(1, this.totalBatches)] },
      },
      axes: [
        { stroke: "#555", grid: { stroke: "#eee" }, values: (_u, splits) => splits.map((t) => utcTime(t, splits)) },
        { scale: "ids", stroke: "#1f6feb", label: "IDs/s", values: (_u, splits) => splits.map(thousands), grid: { stroke: "#eee" }, size: 60 },
        { scale: "done", side: 1, stroke: "#2f855a", label: "batches done", values: (_u, splits) => splits.map(thousands), grid: { show: false }, size: 60 },
      ],
      series: [
        { label: "UTC", value: (_u, v) => (v === null ? "–" : new Date(v * 1000).toISOString().slice(11, 19)) },
        { label: "IDs/s", scale: "ids", stroke: "#1f6feb", width: 2, fill: "rgba(31,111,235,0.08)", points: { show: false }, value: (_u, v) => (v === null ? "–" : thousands(v)) },
        { label: "batches done", scale: "done", stroke: "#2f855a", width: 2, points: { show: false }, value: (_u, v) => (v === null ? "–" : thousands(v)) },
      ],
    };
  }
}
