/**
 * One figure over time with uPlot: a line per platform, the days' marks
 * (marks.ts), and the legend reading the values of the day under the cursor
 * (of the latest day when the cursor is elsewhere). Every such chart on the
 * page shares the cursor, so pointing at a day in one reads it in all;
 * clicking picks the day for the day charts (a dashed line marks it).
 */
import uPlot from "uplot";
import { count } from "../dashboard/format";
import { PLATFORM_COLOUR, PLATFORM_LABEL, compact } from "./colours";
import { dayMarks, PLATFORMS, type Day } from "./days";
import type { FigureText } from "./figures";
import { marksPlugin } from "./marks";

const DAY = 86_400;
const HALF_DAY = DAY / 2;
/** Ticks a whole number of days apart (there is one figure per day; uPlot counts a month as 30 days). */
const DAY_INCREMENTS = [DAY, 2 * DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 60 * DAY, 90 * DAY, 180 * DAY, 365 * DAY];
/** "Mar 4", "Mar", the year under the first tick and where it changes (uPlot's table: tick spacing, format, then on rollover). */
const DAY_TICKS: uPlot.Axis.Values = [
  [365 * DAY, "{YYYY}", null, null, null, null, null, null, 1],
  [28 * DAY, "{MMM}", "\n{YYYY}", null, null, null, null, null, 1],
  [DAY, "{MMM} {D}", "\n{YYYY}", null, null, null, null, null, 1],
];

export class SeriesChart {
  private plot: uPlot | undefined;
  private days: readonly Day[] = [];
  /** The day the day charts show (a dashed line), as uPlot time. */
  private picked: number | null = null;

  constructor(
    private readonly element: HTMLElement,
    private readonly text: FigureText,
    private readonly pick: (date: string) => void,
  ) {}

  show(days: readonly Day[]): void {
    this.days = days;
    const data: uPlot.AlignedData = [days.map((d) => d.t), ...PLATFORMS.map((p) => days.map((d) => d.rows[p]?.[this.text.figure] ?? null))];
    if (!this.plot) {
      this.plot = new uPlot(this.options(), data, this.element);
      this.plot.over.addEventListener("click", () => {
        const i = this.plot?.cursor.idx;
        if (i !== null && i !== undefined && this.days[i]) this.pick(this.days[i].date);
      });
    } else this.plot.setData(data);
  }

  /** Marks the day the day charts show. */
  showPicked(t: number): void {
    this.picked = t;
    this.plot?.redraw(false, false);
  }

  resize(): void {
    this.plot?.setSize(this.size());
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(280, this.element.clientWidth), height: 240 };
  }

  /** The day the legend reads: under the cursor, else the latest. */
  private dayAt(idx: number | null | undefined): Day | undefined {
    return this.days[idx ?? this.days.length - 1];
  }

  private options(): uPlot.Options {
    const decimals = this.text.figure === "battles_per_active_account";
    const format = (v: number | null | undefined) => (v === null || v === undefined ? "–" : decimals ? v.toFixed(2) : count(v));
    return {
      ...this.size(),
      legend: { show: true, live: true },
      cursor: { sync: { key: "stats-days" }, drag: { x: false, y: false } },
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      plugins: [marksPlugin(() => this.days, () => this.picked)],
      scales: {
        // Half a day either side, so the first and last points (and their marks) are whole.
        x: { time: true, range: (_u, min, max) => [min - HALF_DAY, max + HALF_DAY] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { stroke: "#555", grid: { stroke: "#eee" }, incrs: DAY_INCREMENTS, values: DAY_TICKS },
        { stroke: "#555", grid: { stroke: "#eee" }, values: (_u, splits) => splits.map(compact), size: 56 },
      ],
      series: [
        {
          label: "date",
          value: (_u, _v, _s, idx) => {
            const day = this.dayAt(idx);
            if (!day) return "–";
            const marks = [dayMarks(day), idx === null || idx === undefined ? "latest" : ""].filter(Boolean).join(", ");
            return `${day.date}${marks ? ` (${marks})` : ""}`;
          },
        },
        ...PLATFORMS.map(
          (platform, i): uPlot.Series => ({
            label: PLATFORM_LABEL[platform],
            stroke: PLATFORM_COLOUR[platform],
            width: platform === "all" ? 2.5 : 2,
            points: { size: 6 },
            value: (u, v, _s, idx) => format(idx === null || idx === undefined ? (u.data[i + 1]?.at(-1) ?? null) : v),
          }),
        ),
      ],
    };
  }
}
