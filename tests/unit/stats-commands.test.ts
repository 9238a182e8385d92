/** The command line of the statistics and database tools: what an operator types, and what a typo gets. */
import { expect, test } from "bun:test";
import { UsageError, parseServerArgs } from "../../server/src/cli.ts";

test("stats recompute, export --out DIR and db reader NAME parse into tool commands", () => {
  expect(parseServerArgs(["stats", "recompute"])).toEqual({ kind: "tool", configPath: "config/server.json", tool: { name: "stats-recompute" } });
  expect(parseServerArgs(["--config", "c.json", "export", "--out", "site"])).toEqual({ kind: "tool", configPath: "c.json", tool: { name: "export", out: "site" } });
  expect(parseServerArgs(["db", "reader", "grafana"])).toEqual({ kind: "tool", configPath: "config/server.json", tool: { name: "db-reader", role: "grafana" } });
});

test("a tool command given wrong says what it takes", () => {
  const message = (argv: string[]) => {
    try {
      parseServerArgs(argv);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error(`${argv.join(" ")} parsed`);
  };
  expect(message(["export"])).toBe("export takes --out DIR (the directory to write the files to)");
  expect(message(["export", "site"])).toBe("export takes --out DIR, not site");
  expect(message(["stats"])).toBe("stats takes: recompute");
  expect(message(["db", "reader"])).toBe("db takes: reader NAME");
  expect(message(["db", "writer", "x"])).toBe("db takes: reader NAME");
});
