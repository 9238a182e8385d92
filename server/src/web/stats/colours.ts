/** One colour per platform on every chart (Xbox green, PlayStation blue, the two together dark grey). */
import type { Platform } from "./days";

export const PLATFORM_COLOUR: Record<Platform, string> = { xbox: "#107c10", ps: "#0b5ed7", all: "#3b3b3b" };
export const PLATFORM_LABEL: Record<Platform, string> = { xbox: "Xbox", ps: "PlayStation", all: "Xbox + PS" };

/** 1.2k, 3.4M: axis ticks, where the exact figure is in the legend. */
export function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${+(value / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e3) return `${+(value / 1e3).toFixed(abs >= 1e4 ? 0 : 1)}k`;
  return String(+value.toFixed(2));
}
