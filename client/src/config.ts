/** Command-line flags (and WOTC_TOKEN, WOTC_APPLICATION_ID), parsed once into a plain options object. */
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { MAX_OWN_KEY_RPS, OWN_KEY_COUNTING, type OwnKeyCounting, RegisterRequest } from "@wotc/schema/wire/register";

export interface ClientArgs {
  server: string;
  token: string;
  name: string;
  /** PEM file of the CA (or self-signed certificate) that the server's TLS certificate must chain to. */
  ca?: string;
  /** The volunteer's own WG key: it never leaves this machine (the server is told its hash). */
  ownKey?: OwnKeyArgs;
}

export interface OwnKeyArgs {
  applicationId: string;
  /** Requests/s the key allows. */
  rps: number;
  per: OwnKeyCounting;
}

/**
 * WG's rate for a key when the volunteer does not say (wg-api.md §5): 10
 * requests/s is what a standalone key gets in practice, and the lower of the
 * two known limits (server keys: 20).
 */
export const DEFAULT_OWN_KEY_RPS = 10;

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
       wotc-client ... --application-id-file FILE [--rps N] [--rps-per key|address]

  --server URL       the tracker server, e.g. https://tracker.example.org:8888
  --token TOKEN      this client's token (the operator creates it with "server token add NAME");
                     other users of this machine can read it in the process list: prefer
  --token-file FILE  a file holding the token, or the WOTC_TOKEN environment variable
  --name NAME        how the server knows this machine (default: the hostname)
  --ca FILE          trust this PEM certificate for an https:// server with a self-signed certificate
  --application-id KEY
                     query WG with your own application id (developers.wargaming.net); it never
                     leaves this machine, the server only learns a hash of it. Also in the process
                     list: prefer
  --application-id-file FILE
                     a file holding it, or the WOTC_APPLICATION_ID environment variable
  --rps N            requests/s your key allows (default ${DEFAULT_OWN_KEY_RPS}); clients with the same key share it
  --rps-per key|address
                     WG counts that rate per key, everywhere (default), or per public address
                     (a standalone key in practice: each machine with its own address gets N)
  --help             show this text`;

const FLAGS = new Set(["server", "token", "token-file", "name", "ca", "application-id", "application-id-file", "rps", "rps-per"]);

/** Where the token and the application id may come from besides their flags; main.ts passes the real ones, tests their own. */
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
  const token = secretFrom(values, sources, TOKEN);
  if (token === undefined) throw new UsageError("--token is required (or --token-file FILE, or the WOTC_TOKEN environment variable)");
  const name = values.has("name") ? checkName(values.get("name")!) : nameFromHostname(hostname);
  const ca = values.has("ca") ? required(values, "ca") : undefined;
  if (ca !== undefined && !server.startsWith("https:")) throw new UsageError("--ca: only meaningful with an https:// --server");
  const ownKey = ownKeyFrom(values, sources);
  return { kind: "run", args: { server, token, name, ...(ca === undefined ? {} : { ca }), ...(ownKey ? { ownKey } : {}) } };
}

interface Secret {
  flag: string;
  fileFlag: string;
  env: string;
  /** What the file holds, for its error message. */
  what: string;
}
const TOKEN: Secret = { flag: "token", fileFlag: "token-file", env: "WOTC_TOKEN", what: "the token" };
const APPLICATION_ID: Secret = { flag: "application-id", fileFlag: "application-id-file", env: "WOTC_APPLICATION_ID", what: "the application id" };

/**
 * --flag, else --flag-file, else the environment variable: at most one of the
 * flags, and never empty. Messages never quote the secret: they end up in
 * terminals, logs and bug reports.
 */
function secretFrom(values: Map<string, string>, sources: TokenSources, secret: Secret): string | undefined {
  const { flag, fileFlag } = secret;
  if (values.has(flag) && values.has(fileFlag)) throw new UsageError(`give --${flag} or --${fileFlag}, not both`);
  if (values.has(flag)) return required(values, flag);
  if (values.has(fileFlag)) {
    const path = required(values, fileFlag);
    let text: string;
    try {
      text = (sources.readFile ?? ((file) => readFileSync(file, "utf8")))(path);
    } catch (error) {
      throw new UsageError(`--${fileFlag}: cannot read ${path}: ${(error as Error).message}`);
    }
    const value = text.trim();
    if (value === "") throw new UsageError(`--${fileFlag}: ${path} is empty`);
    if (/\s/.test(value)) throw new UsageError(`--${fileFlag}: ${path} should hold ${secret.what} alone, on one line`);
    return value;
  }
  const fromEnv = (sources.env ?? process.env)[secret.env]?.trim();
  return fromEnv || undefined;
}

/** The volunteer's own key and its rate; --rps and --rps-per describe that key, so they need one. */
function ownKeyFrom(values: Map<string, string>, sources: TokenSources): OwnKeyArgs | undefined {
  const applicationId = secretFrom(values, sources, APPLICATION_ID);
  if (applicationId === undefined) {
    for (const flag of ["rps", "rps-per"]) {
      if (values.has(flag)) throw new UsageError(`--${flag} describes your own WG key: give it with --application-id-file FILE (or --application-id, or WOTC_APPLICATION_ID)`);
    }
    return undefined;
  }
  // WG's ids are 32 hex digits; anything URL-unsafe is a paste gone wrong (shown by length only: it is a secret)
  if (!/^[\w-]{1,128}$/.test(applicationId)) {
    throw new UsageError(`the application id (${applicationId.length} characters) should be letters and digits only, as WG shows it at developers.wargaming.net`);
  }
  let rps = DEFAULT_OWN_KEY_RPS;
  if (values.has("rps")) {
    const text = required(values, "rps");
    rps = Number(text);
    if (!Number.isFinite(rps) || rps < 0.1 || rps > MAX_OWN_KEY_RPS) {
      throw new UsageError(`--rps: "${text}" should be the requests per second your key allows, from 0.1 to ${MAX_OWN_KEY_RPS} (WG's limit is usually ${DEFAULT_OWN_KEY_RPS} or 20)`);
    }
  }
  const per = values.has("rps-per") ? required(values, "rps-per") : "key";
  if (!(OWN_KEY_COUNTING as readonly string[]).includes(per)) throw new UsageError(`--rps-per: expected "key" or "address", got "${per}"`);
  return { applicationId, rps, per: per as OwnKeyCounting };
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
