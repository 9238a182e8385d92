/** Runs a tool command (parse.ts): loads the config, opens and migrates the database, runs the tool, closes. */
import type { ServerConfig } from "@wotc/schema/config";
import { loadConfig } from "../config";
import type { Database } from "../db/connect";
import { openDatabase } from "../tracker/open-database";
import { runDbReader } from "./db-reader";
import { runExport } from "./export";
import type { Tool, ToolCommand } from "./parse";
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

export async function runToolCommand(command: ToolCommand, log: (line: string) => void): Promise<number> {
  const { config } = await loadConfig(command.configPath);
  const database = await openDatabase({ configUrl: config.database.url, dataDir: config.server.dataDir, log });
  try {
    return await runTool(command.tool, { config, database, log });
  } finally {
    await database.close();
  }
}
