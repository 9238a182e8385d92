/** Command-line flags (and WOTC_TOKEN), parsed once into a plain options object. */
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { RegisterRequest } from "@wotc/schema/wire/register";

export interface ClientArgs {
  server: string;
  token: string;
  name: string;
  /** PEM file of the CA (or self-signed certificate) that the server's TLS certificate must chain to. */
  ca?: string;
}

export type ParsedArgs = { kind: "help" } | { kind: "run"; args: ClientArgs };

/** A flag is missing or wrong; main prints the message and USAGE and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const USAGE = `usage: wotc-client --server URL --token TOKEN [--name NAME] [--ca FILE]
       wotc-client --server URL --token-file FILE ...      (or the token in WOTC_TOKEN)

  --server URL       the tracker server, e.g. https://tracker.example.org:8888
  --token TOKEN      this client's token (the operator creates it with "server token add NAME");
                     other users of this machine can read it in the process list: prefer
  --token-file FILE  a file holding the token, or the WOTC_TOKEN environment variable
  --name NAME        how the server knows this machine (default: the hostname)
  --ca FILE          trust this PEM certificate for an https:// server with a self-signed certificate
  --help             show this text`;

const FLAGS = new Set(["server", "token", "token-file", "name", "ca"]);

/** Where the token may come from besides --token; main.ts passes the real ones, tests their own. */
export interface TokenSources {
  env?: Record<string, string | undefined>;
  readFile?: (path: string) => string;
}
const NameSchema = RegisterRequest.entries.name;

export function parseArgs(argv: readonly string[], hostname: string, sources: TokenSources = {}): ParsedArgs {
  if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const flag = arg.slice(2, eq < 0 ? undefined : eq);
    if (!FLAGS.has(flag)) throw new UsageError(`unknown flag --${flag}`);
    if (values.has(flag)) throw new UsageError(`--${flag} given twice`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${flag} needs a value`);
      i++;
    }
    values.set(flag, value);
  }

  const server = checkServer(required(values, "server"));
  const token = tokenFrom(values, sources);
  const name = values.has("name") ? checkName(values.get("name")!) : nameFromHostname(hostname);
  const ca = values.has("ca") ? required(values, "ca") : undefined;
  if (ca !== undefined && !server.startsWith("https:")) throw new UsageError("--ca: only meaningful with an https:// --server");
  return { kind: "run", args: { server, token, name, ...(ca === undefined ? {} : { ca }) } };
}

/** --token, else --token-file, else WOTC_TOKEN: exactly one of the flags, and the token never empty. */
function tokenFrom(values: Map<string, string>, sources: TokenSources): string {
  if (values.has("token") && values.has("token-file")) throw new UsageError("give --token or --token-file, not both");
  if (values.has("token")) return required(values, "token");
  if (values.has("token-file")) {
    const path = required(values, "token-file");
    let text: string;
    try {
      text = (sources.readFile ?? ((file) => readFileSync(file, "utf8")))(path);
    } catch (error) {
      throw new UsageError(`--token-file: cannot read ${path}: ${(error as Error).message}`);
    }
    const token = text.trim();
    if (token === "") throw new UsageError(`--token-file: ${path} is empty`);
    if (/\s/.test(token)) throw new UsageError(`--token-file: ${path} should hold the token alone, on one line`);
    return token;
  }
  const fromEnv = (sources.env ?? process.env).WOTC_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  throw new UsageError("--token is required (or --token-file FILE, or the WOTC_TOKEN environment variable)");
}

function required(values: Map<string, string>, flag: string): string {
  const value = values.get(flag);
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  if (value.trim() === "") throw new UsageError(`--${flag} is empty`);
  return value.trim();
}

function checkServer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server: "${text}" is not a URL (expected e.g. http://host:8888)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--server: expected an http:// or https:// URL, got ${url.protocol}//`);
  }
  if (url.search || url.hash) throw new UsageError(`--server: "${text}" must not have a query or fragment`);
  return text.replace(/\/+$/, "");
}

function checkName(name: string): string {
  const result = v.safeParse(NameSchema, name);
  if (!result.success) {
    throw new UsageError(`--name: "${name}" must be 1-64 characters of letters, digits, "_", ".", "@" or "-"`);
  }
  return name;
}

/** Hostnames may hold characters the server does not accept in a name. */
export function nameFromHostname(hostname: string): string {
  const name = hostname.replace(/[^\w.@-]/g, "-").slice(0, 64);
  return name || "client";
}
