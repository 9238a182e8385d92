/**
 * Range growth after a run: new accounts are created at the top of each
 * platform's ID range, so when the highest account found comes within
 * `growth.margin` of the configured max, the max moves up by `growth.step`.
 * The config file is rewritten atomically with only that number changed
 * (every other setting, and the order of keys, as the operator wrote them),
 * and the config in memory follows, so the next run in scheduled mode
 * crawls the new batches.
 */
import { PLATFORMS, type Platform } from "@wotc/schema/player";
import type { ServerConfig } from "@wotc/schema/config";
import { parseConfig, writeJsonAtomically } from "./config";

export interface RangeGrowth {
  platform: Platform;
  highest: number;
  oldMax: number;
  newMax: number;
}

export interface GrowthReport {
  grown: RangeGrowth[];
  margin: number;
  /** Where the config was (or should have been) rewritten. */
  configPath: string;
  /** The growth could not be written; the config is unchanged. */
  error?: string;
}

export type HighestFound = Record<Platform, number | null>;

/** Which platforms grow, given the highest account ID found on each. */
export function planGrowth(ranges: ServerConfig["ranges"], highest: HighestFound, settings: ServerConfig["growth"]): RangeGrowth[] {
  const grown: RangeGrowth[] = [];
  if (settings.margin === 0) return grown;
  for (const platform of PLATFORMS) {
    const found = highest[platform];
    const { max } = ranges[platform];
    if (found === null || found < max - settings.margin) continue;
    grown.push({ platform, highest: found, oldMax: max, newMax: max + settings.step });
  }
  return grown;
}

/**
 * Grows the ranges that need it: rewrites the file at configPath (re-read
 * now, so edits made while the server ran are kept) and updates config in
 * place. Leaves the file untouched when nothing grows.
 */
export async function growRanges(configPath: string, config: ServerConfig, highest: HighestFound): Promise<GrowthReport> {
  const report: GrowthReport = { grown: planGrowth(config.ranges, highest, config.growth), margin: config.growth.margin, configPath };
  if (report.grown.length === 0) return report;
  try {
    const raw = JSON.parse(await Bun.file(configPath).text()) as { ranges: Record<Platform, { max: number }> };
    for (const g of report.grown) raw.ranges[g.platform].max = Math.max(raw.ranges[g.platform].max, g.newMax);
    // What is written must load again: never replace a working config with one that does not.
    const checked = parseConfig(configPath, raw).config;
    await writeJsonAtomically(configPath, raw);
    for (const g of report.grown) {
      g.newMax = checked.ranges[g.platform].max;
      config.ranges[g.platform].max = g.newMax;
    }
  } catch (error) {
    report.error = `range growth not written to ${configPath}: ${(error as Error).message}`;
  }
  return report;
}

const n = (value: number) => value.toLocaleString("en-US");

/** The summary's growth line. */
export function describeGrowth(report: GrowthReport): string {
  if (report.error) return `range growth: ERROR: ${report.error}`;
  if (report.grown.length === 0) return "range growth: none (no platform's highest account is near its max)";
  const grown = report.grown.map(
    (g) => `${g.platform} max ${n(g.oldMax)} -> ${n(g.newMax)} (highest account ${n(g.highest)} is within ${n(report.margin)} of it)`,
  );
  return `range growth: ${grown.join(", ")}; ${report.configPath} rewritten`;
}
