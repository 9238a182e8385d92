/**
 * The statistics and database commands of `bun run server` (issue 14), parsed
 * here and run by run.ts, so cli.ts and main.ts only dispatch:
 *   stats recompute     compute the daily statistics of every crawled date again
 *   export --out DIR    write the static statistics export
 *   db reader NAME      create (or give a new password to) a read-only role and print its URL
 */
export type Tool = { name: "stats-recompute" } | { name: "export"; out: string } | { name: "db-reader"; role: string };

export type ToolCommand = { kind: "tool"; configPath: string; tool: Tool };

export const TOOL_USAGE = `  bun run server stats recompute                                 compute the daily statistics of every crawled date
  bun run server export --out DIR                                write the statistics as static files (CSV, JSON, data.js)
  bun run server db reader NAME                                  create a read-only database role; prints its URL`;

/** The tool named by the positionals, or undefined when they name none; throws (a message) on a malformed one. */
export function parseTool(positionals: string[], values: { out?: string }): Tool | undefined {
  const [first, second, third] = positionals;
  if (first === "stats") {
    if (second === "recompute" && positionals.length === 2) return { name: "stats-recompute" };
    throw new Error("stats takes: recompute");
  }
  if (first === "export") {
    if (positionals.length > 1) throw new Error(`export takes --out DIR, not ${positionals.slice(1).join(" ")}`);
    if (!values.out) throw new Error("export takes --out DIR (the directory to write the files to)");
    return { name: "export", out: values.out };
  }
  if (first === "db") {
    if (second === "reader" && third && positionals.length === 3) return { name: "db-reader", role: third };
    throw new Error("db takes: reader NAME");
  }
  return undefined;
}
