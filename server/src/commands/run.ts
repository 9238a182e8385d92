/** Runs a tool command (parse.ts) on an open, migrated database. */
import type { ServerConfig } from "@wotc/schema/config";
import type { Database } from "../db/connect";
import { runDbReader } from "./db-reader";
import { runExport } from "./export";
import type { Tool } from "./parse";
import { runStatsRecompute } from "./stats-recompute";

export interface ToolDeps {
  config: ServerConfig;
  database: Database;
  log: (line: string) => void;
}

/** Runs the tool; resolves with the exit code. */
export function runTool(tool: Tool, deps: ToolDeps): Promise<number> {
  switch (tool.name) {
    case "stats-recompute":
      return runStatsRecompute(deps);
    case "export":
      return runExport(deps, tool.out);
    case "db-reader":
      return runDbReader(deps, tool.role);
  }
}
