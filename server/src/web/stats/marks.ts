/**
 * How a chart over time marks its days, drawn on uPlot's canvas: a shaded
 * band from the previous crawled date to a date that covers several days,
 * under the grid and lines; a ring around every point of an incomplete day,
 * over them; and a dashed line at the day the day charts show. The colours
 * are the page's key (style.css has the same).
 */
import type uPlot from "uplot";
import { spansDays, type Day } from "./days";

export const INCOMPLETE_RING = "#d9480f";
export const SPAN_BAND = "rgba(250, 176, 5, 0.2)";

export const PICKED_LINE = "#6b7280";

export function marksPlugin(days: () => readonly Day[], picked: () => number | null): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u) => drawSpanBands(u, days()),
      draw: (u) => {
        drawPickedDay(u, picked());
        drawIncompleteRings(u, days());
      },
    },
  };
}

function drawPickedDay(u: uPlot, t: number | null): void {
  if (t === null) return;
  const { ctx, bbox } = u;
  const x = u.valToPos(t, "x", true);
  if (x < bbox.left || x > bbox.left + bbox.width) return;
  const ratio = window.devicePixelRatio || 1;
  ctx.save();
  ctx.strokeStyle = PICKED_LINE;
  ctx.lineWidth = ratio;
  ctx.setLineDash([4 * ratio, 3 * ratio]);
  ctx.beginPath();
  ctx.moveTo(x, bbox.top);
  ctx.lineTo(x, bbox.top + bbox.height);
  ctx.stroke();
  ctx.restore();
}

function drawSpanBands(u: uPlot, days: readonly Day[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.fillStyle = SPAN_BAND;
  for (const day of days) {
    if (!spansDays(day)) continue;
    const right = u.valToPos(day.t, "x", true);
    const left = Math.max(bbox.left, u.valToPos(day.t - (day.span! * 86_400), "x", true));
    ctx.fillRect(left, bbox.top, right - left, bbox.height);
  }
  ctx.restore();
}

function drawIncompleteRings(u: uPlot, days: readonly Day[]): void {
  const { ctx } = u;
  const ratio = window.devicePixelRatio || 1;
  const points: { x: number; y: number; colour: string }[] = [];
  days.forEach((day, i) => {
    if (day.complete) return;
    const x = u.valToPos(day.t, "x", true);
    u.series.forEach((series, s) => {
      const value = u.data[s]?.[i];
      if (s === 0 || !series.show || value === null || value === undefined) return;
      const colour = typeof series.stroke === "function" ? String(series.stroke(u, s)) : String(series.stroke ?? "#000");
      points.push({ x, y: u.valToPos(value, series.scale ?? "y", true), colour });
    });
  });
  // In passes, so where the points of two platforms are close no ring is painted over by the other's white.
  const circles = (radius: number, paint: (point: (typeof points)[number]) => void) => {
    for (const point of points) {
      ctx.beginPath();
      ctx.arc(point.x, point.y, radius * ratio, 0, 2 * Math.PI);
      paint(point);
    }
  };
  ctx.save();
  ctx.fillStyle = "#fff";
  circles(6.5, () => ctx.fill());
  ctx.strokeStyle = INCOMPLETE_RING;
  ctx.lineWidth = 2.5 * ratio;
  circles(6.5, () => ctx.stroke());
  circles(2.5, (point) => {
    ctx.fillStyle = point.colour;
    ctx.fill();
  });
  ctx.restore();
}
