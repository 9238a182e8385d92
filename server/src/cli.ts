/** The server's command line, parsed once into a plain object. */
import { parseArgs } from "node:util";
import { DEFAULT_CONFIG_PATH } from "./config";

export type ServerCommand =
  | { kind: "run"; configPath: string; date: string | undefined; serve: boolean }
  | { kind: "init"; configPath: string }
  | { kind: "token"; configPath: string; action: "add" | "list" | "revoke"; name: string | undefined }
  | { kind: "help" };

export const USAGE = `usage:
  bun run server [--config PATH] [--date YYYY-MM-DD] [--serve]   run today's (or DATE's) crawl
  bun run server --init [--config PATH]                          write a default config and an example
  bun run server token add NAME | list | revoke NAME             manage client tokens`;

export class UsageError extends Error {}

const TOKEN_NAME = /^[\w.@-]{1,64}$/;

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
        init: { type: "boolean", default: false },
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
    if (action === "list" && name === undefined) return { kind: "token", configPath, action, name: undefined };
    if ((action === "add" || action === "revoke") && name !== undefined && extra.length === 0) {
      // Checked here, not by the token store, so a bad name is a usage error (exit 2) like any other
      if (!TOKEN_NAME.test(name)) throw new UsageError(`token ${action} ${name}: a name is 1-64 letters, digits, '.', '@', '_' or '-'`);
      return { kind: "token", configPath, action, name };
    }
    throw new UsageError("token takes: add NAME | list | revoke NAME");
  }
  if (positionals.length > 0) throw new UsageError(`unknown command "${positionals.join(" ")}"`);
  if (values.date !== undefined && !isUtcDate(values.date)) throw new UsageError(`--date ${values.date}: expected a date as YYYY-MM-DD`);
  if (values.date !== undefined && values.date > utcToday(now)) {
    throw new UsageError(`--date ${values.date} is in the future (today is ${utcToday(now)} UTC); a day can be crawled once it has begun`);
  }
  return { kind: "run", configPath, date: values.date, serve: values.serve };
}

export function isUtcDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export function utcToday(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
