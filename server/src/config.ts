/**
 * Loading, validating and initialising the server's config file. Nothing here
 * runs at import; main.ts calls these.
 *
 * Paths in the config (server.dataDir, clients.dir, tls.cert, tls.key) are
 * relative to the config file's directory, not to wherever the server was
 * started: started from another directory, it must find the same database
 * and keys, not silently make new ones. loadConfig hands them on resolved.
 */
import * as v from "valibot";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { DEFAULT_CONFIG, ServerConfig, describeIssues } from "@wotc/schema/config";
import { replaceFile } from "./replace-file";

export const DEFAULT_CONFIG_PATH = "config/server.json";

export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`${path}: ${problems.length === 1 ? problems[0] : `\n  ${problems.join("\n  ")}`}`);
    this.name = "ConfigError";
  }
}

export interface LoadedConfig {
  path: string;
  config: ServerConfig;
  /** The file as parsed, before defaults: range growth rewrites this, so other settings stay as the operator wrote them. */
  raw: Record<string, unknown>;
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  const file = Bun.file(path);
  if (!(await file.exists())) {
    throw new ConfigError(path, [`no such file; create one with \`bun run server --init${path === DEFAULT_CONFIG_PATH ? "" : ` --config ${path}`}\``]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await file.text());
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  const loaded = parseConfig(path, raw);
  await refuseMovedDataDir(loaded);
  return loaded;
}

/** Validates and resolves the config's paths against `base` (default: the directory of `path`). */
export function parseConfig(path: string, raw: unknown, base = dirname(resolve(path))): LoadedConfig {
  const result = v.safeParse(ServerConfig, raw);
  if (!result.success) throw new ConfigError(path, describeIssues(result.issues));
  const config = result.output;
  config.server.dataDir = resolve(base, config.server.dataDir);
  config.clients.dir = resolve(base, config.clients.dir);
  if (config.tls.cert) config.tls.cert = resolve(base, config.tls.cert);
  if (config.tls.key) config.tls.key = resolve(base, config.tls.key);
  return { path, config, raw: raw as Record<string, unknown> };
}

/**
 * Before paths were relative to the config file, a relative dataDir was
 * taken from the working directory. Where that old place holds a database
 * and the new one does not exist, starting would make an empty database and
 * new tokens beside the real ones: stop and say which to choose.
 */
async function refuseMovedDataDir({ path, config, raw }: LoadedConfig): Promise<void> {
  const given = (raw.server as { dataDir?: unknown } | undefined)?.dataDir;
  const written = typeof given === "string" ? given : "data"; // the old default
  if (isAbsolute(written)) return;
  const old = resolve(written);
  if (old === config.server.dataDir) return;
  const exists = (p: string) => stat(p).then(() => true, () => false);
  if ((await exists(config.server.dataDir)) || !(await exists(resolve(old, "postgres")))) return;
  throw new ConfigError(path, [
    `config.server.dataDir: relative to the config file's directory it is ${config.server.dataDir}, which does not exist, ` +
      `but ${old} (relative to the working directory, where it was looked for before) holds a database: set "dataDir": ${JSON.stringify(old)} to keep using it`,
  ]);
}

/**
 * Writes JSON through a temporary file and a rename, so a crash never leaves
 * half a config; mode, owner and a symlink stay as they were, and a new
 * config (it holds keys and passwords) is 0600 (replace-file.ts).
 */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await replaceFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

/**
 * `--init`: the default config, plus an example next to it whose comments are
 * the schema's own descriptions, so the two can never disagree.
 */
export async function initConfig(path: string): Promise<{ written: string[] }> {
  if (await Bun.file(path).exists()) {
    throw new ConfigError(path, ["already exists; remove it first or pass another --config path"]);
  }
  const examplePath = path.replace(/\.json$/, "") + ".example.jsonc";
  const full = v.parse(ServerConfig, DEFAULT_CONFIG);
  await writeJsonAtomically(path, DEFAULT_CONFIG);
  await mkdir(dirname(examplePath), { recursive: true });
  await writeFile(examplePath, commentedExample(full));
  return { written: [path, examplePath] };
}

/** Renders a config value as JSONC with each key's schema description above it. */
function commentedExample(config: ServerConfig): string {
  const lines = ["// wotc-tracker server config: every key with its default. JSON without the comments goes in server.json."];
  render(ServerConfig as unknown as AnySchema, config, 0, lines, "");
  return `${lines.join("\n")}\n`;
}

type AnySchema = v.GenericSchema & { entries?: Record<string, AnySchema>; wrapped?: AnySchema; pipe?: readonly AnySchema[]; item?: AnySchema };

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    if (current.wrapped) current = current.wrapped;
    else if (current.pipe && current.pipe[0] !== current) current = current.pipe[0] as AnySchema;
    else return current;
  }
}

function describe(schema: AnySchema): string | undefined {
  let current: AnySchema | undefined = schema;
  while (current) {
    const found = v.getDescription(current as never);
    if (found) return found;
    current = current.wrapped ?? (current.pipe?.[0] !== current ? (current.pipe?.[0] as AnySchema | undefined) : undefined);
  }
  return undefined;
}

function render(schema: AnySchema, value: unknown, depth: number, lines: string[], suffix: string): void {
  const indent = "  ".repeat(depth);
  const inner = unwrap(schema);
  if (inner.entries && value && typeof value === "object" && !Array.isArray(value)) {
    lines.push("{");
    const keys = Object.keys(value);
    keys.forEach((key, index) => {
      const child = inner.entries![key] as AnySchema;
      const text = child ? describe(child) : undefined;
      if (text) lines.push(`${indent}  // ${text}`);
      const before = lines.length;
      render(child ?? (v.unknown() as AnySchema), (value as Record<string, unknown>)[key], depth + 1, lines, index < keys.length - 1 ? "," : "");
      lines[before] = `${indent}  ${JSON.stringify(key)}: ${lines[before]!.trimStart()}`;
    });
    lines.push(`${indent}}${suffix}`);
    return;
  }
  const json = JSON.stringify(value, null, 2).split("\n");
  json.forEach((line, index) => lines.push(`${index === 0 ? "" : indent}${line}${index === json.length - 1 ? suffix : ""}`));
}
