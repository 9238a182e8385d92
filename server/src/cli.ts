/** The server's command line, parsed once into a plain object. */
import { parseArgs } from "node:util";
import { DEFAULT_CONFIG_PATH } from "./config";
import { parseTool, TOOL_USAGE, type ToolCommand } from "./commands/parse";
import { TOKEN_NAME } from "./tokens";
import { CONTROL_ACTIONS, NAMED_ACTIONS, isControlAction, type ControlAction } from "./ctl/actions";

export type ServerCommand =
  | { kind: "run"; configPath: string; date: string | undefined; serve: boolean; logFormat: "text" | "json" | undefined }
  | { kind: "init"; configPath: string }
  | { kind: "token"; configPath: string; action: TokenAction; name: string | undefined; trusted: boolean; reason: string | undefined }
  | ToolCommand
  | { kind: "ctl"; configPath: string; action: ControlAction; name: string | undefined; url: string | undefined }
  | { kind: "help" };

export type TokenAction = "add" | "list" | "revoke" | "suspend" | "reinstate" | "trust";
const NAMED_TOKEN_ACTIONS: readonly string[] = ["add", "revoke", "suspend", "reinstate", "trust"];

export const USAGE = `usage:
  bun run server [--config PATH] [--date YYYY-MM-DD] [--serve] [--log-format text|json]
                                                                 run today's (or DATE's) crawl
  bun run server --init [--config PATH]                          write a default config and an example
  bun run server token add NAME [--trusted] | list | revoke NAME  manage client tokens
  bun run server token suspend NAME [--reason TEXT] | reinstate NAME [--trusted] | trust NAME
                                                                 (--trusted: the operator's own machine, never checked)
  bun run server ctl pause | resume | drain | run-now | suspend NAME | reinstate NAME | recrawl NAME [--url URL]
                                                                 control the running tracker (admin token)
${TOOL_USAGE}`;

export class UsageError extends Error {}

/** `now` decides what "the future" is for --date (a run of a day that has not begun would find no one's battles yet). */
export function parseServerArgs(argv: string[], now = new Date()): ServerCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        date: { type: "string" },
        serve: { type: "boolean", default: false },
        "log-format": { type: "string" },
        url: { type: "string" },
        init: { type: "boolean", default: false },
        trusted: { type: "boolean", default: false },
        reason: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const configPath = values.config ?? DEFAULT_CONFIG_PATH;
  if (values.help) return { kind: "help" };
  if (values.init) return { kind: "init", configPath };
  if (positionals[0] === "token") {
    const [, action, name, ...extra] = positionals;
    const rest = { configPath, trusted: values.trusted, reason: values.reason };
    if (action === "list" && name === undefined) return { kind: "token", action, name: undefined, ...rest };
    if (action && NAMED_TOKEN_ACTIONS.includes(action) && name !== undefined && extra.length === 0) {
      // Checked here, not by the token store, so a bad name is a usage error (exit 2) like any other
      if (!TOKEN_NAME.test(name)) throw new UsageError(`token ${action} ${name}: a name is 1-64 letters, digits, '.', '@', '_' or '-'`);
      return { kind: "token", action: action as TokenAction, name, ...rest };
    }
    throw new UsageError("token takes: add NAME [--trusted] | list | revoke NAME | suspend NAME [--reason TEXT] | reinstate NAME [--trusted] | trust NAME");
  }
  const tool = parseToolOrUsage(positionals, values);
  if (tool) return { kind: "tool", configPath, tool };
  if (positionals[0] === "ctl") {
    const [, action = "", name, extra] = positionals;
    if (!isControlAction(action)) throw new UsageError(`ctl takes one of: ${CONTROL_ACTIONS.join(", ")}`);
    if (NAMED_ACTIONS.has(action) !== (name !== undefined) || extra !== undefined) {
      throw new UsageError(NAMED_ACTIONS.has(action) ? `ctl ${action} takes a token NAME` : `ctl ${action} takes no argument`);
    }
    return { kind: "ctl", configPath, action, name, url: values.url };
  }
  if (positionals.length > 0) throw new UsageError(`unknown command "${positionals.join(" ")}"`);
  if (values.date !== undefined && !isUtcDate(values.date)) throw new UsageError(`--date ${values.date}: expected a date as YYYY-MM-DD`);
  if (values.date !== undefined && values.date > utcToday(now)) {
    throw new UsageError(`--date ${values.date} is in the future (today is ${utcToday(now)} UTC); a day can be crawled once it has begun`);
  }
  const logFormat = values["log-format"];
  if (logFormat !== undefined && logFormat !== "text" && logFormat !== "json") throw new UsageError(`--log-format ${logFormat}: expected text or json`);
  return { kind: "run", configPath, date: values.date, serve: values.serve, logFormat };
}

function parseToolOrUsage(positionals: string[], values: { out?: string }) {
  try {
    return parseTool(positionals, values);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function isUtcDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export function utcToday(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
