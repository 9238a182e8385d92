/**
 * Reading the statistics page the way a reader does: pointing at each day of
 * the charts and reading the values uPlot's legend shows for it, and looking
 * at the canvas where the point is drawn for the marks of an incomplete day
 * (an orange ring) and of a day covering several days (a shaded band back to
 * the previous crawl). The colours are the page's own (web/stats/marks.ts).
 */
import type { Locator, Page } from "playwright-core";

export const TIME_CHARTS = ["active_accounts", "battles", "new_accounts", "accounts_5plus", "newly_tracked", "battles_per_active_account"] as const;
export type TimeChart = (typeof TIME_CHARTS)[number];
const PLATFORMS = ["xbox", "ps", "all"] as const;
type Values = Record<(typeof PLATFORMS)[number], number | null>;

/** What one day reads as on the page. */
export interface DayOnPage {
  /** The legend's date line, e.g. "2026-03-04 (covers 2 days, incomplete)". */
  label: string;
  values: Record<TimeChart, Values>;
  /** Charts where every plotted point of the day is ringed. */
  ringed: TimeChart[];
  /** Charts where the stretch back to the previous date is shaded. */
  shaded: TimeChart[];
}

const RING = [217, 72, 15];
const BAND_ON_WHITE = [254, 239, 205];

/** Legend cells of a chart: [label, value] per series, the date first. */
async function legend(chart: Locator): Promise<[string, string][]> {
  return chart.locator(".u-legend .u-series").evaluateAll((rows) =>
    rows.map((row) => [row.querySelector(".u-label")?.textContent ?? "", row.querySelector(".u-value")?.textContent ?? ""] as [string, string]),
  );
}

const number = (text: string): number | null => (text === "–" ? null : Number(text.replace(/,/g, "")));

/**
 * Sweeps the pointer across a chart and returns, for each category the
 * legend names (a date, a bucket), the x (page pixels) at the middle of where
 * it is read. (The sweep's mouse moves are dispatched in the page, in one go;
 * the readings that follow move the real pointer.)
 */
export async function categoryPositions(_page: Page, chart: Locator): Promise<Map<string, number>> {
  await chart.scrollIntoViewIfNeeded();
  const seen = await chart.evaluate((element) => {
    const over = element.querySelector(".u-over")!;
    const box = over.getBoundingClientRect();
    const found: [string, number][] = [];
    // (The test's own compile has no DOM types: the page's MouseEvent, by name.)
    const MouseEvent = (globalThis as unknown as { MouseEvent: new (type: string, init: object) => never }).MouseEvent;
    for (let x = box.left + 1; x < box.right - 1; x += 3) {
      over.dispatchEvent(new MouseEvent("mousemove", { clientX: x, clientY: box.top + box.height / 2, bubbles: true }));
      found.push([element.querySelector(".u-legend .u-series .u-value")?.textContent?.split(" ")[0] ?? "", x]);
    }
    over.dispatchEvent(new MouseEvent("mouseleave", { bubbles: true }));
    return found;
  });
  const xs = new Map<string, number[]>();
  for (const [key, x] of seen) xs.set(key, [...(xs.get(key) ?? []), x]);
  return new Map([...xs].map(([key, at]) => [key, (at[0]! + at.at(-1)!) / 2]));
}

/** Every date on the time charts: the values read at it, and its marks. */
export async function readTimeCharts(page: Page): Promise<Map<string, DayOnPage>> {
  const first = page.getByTestId("chart-active_accounts");
  const positions = await categoryPositions(page, first);
  const box = (await first.locator(".u-over").boundingBox())!;
  const days = new Map<string, DayOnPage>();
  // Each chart's own x of the previous date's points (the charts sit side by side).
  let previousX: Partial<Record<TimeChart, number>> = {};
  for (const [date, x] of positions) {
    // The charts share the cursor: pointing at the day in one shows it in all.
    await page.mouse.move(x, box.y + box.height / 2);
    const charts = await readChartsAtCursor(page, previousX);
    const day: DayOnPage = { label: charts[0]!.cells[0]![1], values: {} as DayOnPage["values"], ringed: [], shaded: [] };
    previousX = {};
    TIME_CHARTS.forEach((name, c) => {
      const chart = charts[c]!;
      day.values[name] = Object.fromEntries(PLATFORMS.map((p, i) => [p, number(chart.cells[i + 1]![1])])) as Values;
      if (chart.ringed) day.ringed.push(name);
      if (chart.shaded) day.shaded.push(name);
      if (chart.x !== null) previousX[name] = chart.x;
    });
    days.set(date, day);
  }
  await page.mouse.move(0, 0);
  return days;
}

/**
 * Each time chart at the day under the cursor: its legend, whether all the
 * day's plotted points (uPlot's cursor points sit on them) are ringed, and
 * whether the stretch from the previous date's point to them is shaded
 * (sampled along the top of the plot, clear of the lines); and where the
 * points are, for the next date's check. One call into the page for all.
 */
async function readChartsAtCursor(page: Page, previousX: Partial<Record<TimeChart, number>>) {
  return page.locator("body").evaluate(
    (body, { names, previousX, RING, BAND_ON_WHITE }) =>
      names.map((name) => {
        const element = body.querySelector(`[data-testid="chart-${name}"]`)!;
        const cells = [...element.querySelectorAll(".u-legend .u-series")].map((row) => [row.querySelector(".u-label")?.textContent ?? "", row.querySelector(".u-value")?.textContent ?? ""]);
        const canvas = element.querySelector("canvas")!;
        const rect = canvas.getBoundingClientRect();
        const scale = canvas.width / rect.width;
        const pixels = canvas.getContext("2d")!;
        const close = (x: number, y: number, colour: number[], tolerance: number) => {
          // The canvas is transparent where nothing is drawn; the page behind it is white.
          const [r, g, b, a] = pixels.getImageData(Math.round((x - rect.left) * scale), Math.round((y - rect.top) * scale), 1, 1).data;
          const onWhite = (c: number) => (c * a!) / 255 + 255 * (1 - a! / 255);
          return Math.abs(onWhite(r!) - colour[0]!) + Math.abs(onWhite(g!) - colour[1]!) + Math.abs(onWhite(b!) - colour[2]!) <= tolerance;
        };
        const points = [...element.querySelectorAll(".u-cursor-pt")]
          .map((pt) => pt.getBoundingClientRect())
          .filter((r) => r.width > 0 && r.left + r.width / 2 >= rect.left && r.top + r.height / 2 >= rect.top)
          .map((r) => ({ x: r.left + r.width / 2, y: r.top + r.height / 2 }));
        // A ring of radius ~6.5 px around each (uPlot rounds the cursor point's place, the ring is drawn where the
        // value falls): its colour somewhere 5 to 8 px out, in at least 3 of 4 of 24 directions.
        const ringed =
          points.length > 0 &&
          points.every(({ x, y }) => {
            let hits = 0;
            for (let k = 0; k < 24; k++) {
              const angle = (k / 24) * 2 * Math.PI;
              if ([5, 5.75, 6.5, 7.25, 8].some((d) => close(x + d * Math.cos(angle), y + d * Math.sin(angle), RING, 60))) hits++;
            }
            return hits >= 18;
          });
        let shaded = false;
        const over = element.querySelector(".u-over")!.getBoundingClientRect();
        const here = points[0]?.x ?? null;
        const before = previousX[name as keyof typeof previousX];
        if (before !== undefined && here !== null) {
          let band = 0;
          let samples = 0;
          for (let x = before + 8; x < here - 8; x += 3) {
            samples++;
            if (close(x, over.top + 3, BAND_ON_WHITE, 12)) band++;
          }
          // (a vertical grid line crosses it here and there)
          shaded = samples > 0 && band / samples > 0.6;
        }
        return { cells, ringed, shaded, x: here };
      }),
    { names: [...TIME_CHARTS], previousX, RING, BAND_ON_WHITE },
  );
}

/** A day chart (buckets, account age): the values read at each category. */
export async function readDayChart(page: Page, name: "buckets" | "account-age"): Promise<Map<string, Values>> {
  const chart = page.getByTestId(`chart-${name}`);
  const positions = await categoryPositions(page, chart);
  const box = (await chart.locator(".u-over").boundingBox())!;
  const read = new Map<string, Values>();
  for (const [category, x] of positions) {
    await page.mouse.move(x, box.y + box.height / 2);
    const cells = await legend(chart);
    read.set(category, Object.fromEntries(PLATFORMS.map((p, i) => [p, number(cells[i + 1]![1])])) as Values);
  }
  await page.mouse.move(0, 0);
  return read;
}
