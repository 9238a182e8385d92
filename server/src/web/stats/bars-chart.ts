/**
 * One day's figures by category (battle-count bucket, creation year) as
 * grouped bars with uPlot: a bar per platform in each category. On an
 * incomplete day the bars are hatched (the page's key says so); the legend
 * reads the category under the cursor, or the day's totals elsewhere.
 */
import uPlot from "uplot";
import { count } from "../dashboard/format";
import { PLATFORM_COLOUR, PLATFORM_LABEL, compact } from "./colours";
import { PLATFORMS, type Platform } from "./days";

export interface Bars {
  /** Category labels along the x axis. */
  labels: string[];
  values: Record<Platform, number[]>;
  /** Hatch the bars: the day is incomplete. */
  hatched: boolean;
}

const BAR = 0.26;

export class BarsChart {
  private plot: uPlot | undefined;
  private bars: Bars = { labels: [], values: { xbox: [], ps: [], all: [] }, hatched: false };

  constructor(
    private readonly element: HTMLElement,
    private readonly categoryName: string,
    /** The legend's category when the cursor is elsewhere and it reads the day's totals ("all buckets"). */
    private readonly allLabel: string,
  ) {}

  show(bars: Bars): void {
    this.bars = bars;
    // The options depend on the number of categories and the hatching: a new plot each time (a day's pick, not a stream).
    this.plot?.destroy();
    const data: uPlot.AlignedData = [bars.labels.map((_, i) => i), ...PLATFORMS.map((p) => bars.values[p])];
    this.plot = new uPlot(this.options(), data, this.element);
  }

  resize(): void {
    this.plot?.setSize(this.size());
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(280, this.element.clientWidth), height: 240 };
  }

  private options(): uPlot.Options {
    const n = this.bars.labels.length;
    const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
    return {
      ...this.size(),
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: false, range: () => [-0.5, n - 0.5] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { stroke: "#555", grid: { show: false }, splits: () => this.bars.labels.map((_, i) => i), values: (_u, splits) => splits.map((i) => this.bars.labels[i] ?? "") },
        { stroke: "#555", grid: { stroke: "#eee" }, values: (_u, splits) => splits.map(compact), size: 56 },
      ],
      series: [
        { label: this.categoryName, value: (_u, _v, _s, idx) => (idx === null || idx === undefined ? this.allLabel : (this.bars.labels[idx] ?? "–")) },
        ...PLATFORMS.map(
          (platform, i): uPlot.Series => ({
            label: PLATFORM_LABEL[platform],
            stroke: PLATFORM_COLOUR[platform],
            fill: this.bars.hatched ? hatch(PLATFORM_COLOUR[platform]) : PLATFORM_COLOUR[platform],
            width: 1,
            points: { show: false },
            paths: uPlot.paths.bars!({
              disp: {
                // Three bars side by side, centred on the category.
                x0: { unit: 1 as uPlot.Series.BarsPathBuilderFacetUnit, values: (u) => (u.data[0] as number[]).map((x) => x - 1.5 * BAR + i * BAR) },
                size: { unit: 1 as uPlot.Series.BarsPathBuilderFacetUnit, values: () => [BAR * 0.92] },
              },
            }),
            value: (u, v, _s, idx) => count(idx === null || idx === undefined ? total(u.data[i + 1] as number[]) : v),
          }),
        ),
      ],
    };
  }
}

/** Diagonal stripes of the colour on white: an incomplete day's bars. */
function hatch(colour: string): CanvasPattern | string {
  const ratio = window.devicePixelRatio || 1;
  const size = Math.round(8 * ratio);
  const tile = document.createElement("canvas");
  tile.width = tile.height = size;
  const ctx = tile.getContext("2d");
  if (!ctx) return colour;
  ctx.fillStyle = `${colour}33`;
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2.5 * ratio;
  ctx.beginPath();
  // The diagonal and the two corner pieces that continue it in the next tiles.
  ctx.moveTo(0, size);
  ctx.lineTo(size, 0);
  ctx.moveTo(-size / 2, size / 2);
  ctx.lineTo(size / 2, -size / 2);
  ctx.moveTo(size / 2, size * 1.5);
  ctx.lineTo(size * 1.5, size / 2);
  ctx.stroke();
  return ctx.createPattern(tile, "repeat") ?? colour;
}
