/** `POST /api/register`: the token in, this client's settings out. */
import * as v from "valibot";
import { ClientSettings, type RegisterRequest } from "@wotc/schema/wire/register";
import { endpointUrl } from "./urls";

/** The server answered but will not have us; retrying cannot help. */
export class RegistrationRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "RegistrationRefused";
  }
}

/** The server needs a newer client (`clients.minVersion`): only an update helps. */
export class ClientOutdated extends RegistrationRefused {
  constructor(
    message: string,
    readonly minVersion: string,
    readonly download: string,
  ) {
    super(message, 426);
    this.name = "ClientOutdated";
  }
}

/** The server could not be reached or failed; worth trying again later. */
export class ServerUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerUnavailable";
  }
}

export interface RegisterDeps {
  server: string;
  token: string;
  request: RegisterRequest;
  /** This client's build target, so a refusal can name its download. */
  target?: string;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export async function register(deps: RegisterDeps): Promise<ClientSettings> {
  const url = endpointUrl(deps.server, "/api/register");
  const doFetch = deps.fetch ?? ((u, init) => fetch(u, init));
  const timeout = AbortSignal.timeout(deps.timeoutMs ?? 15_000);
  let response: Response;
  let body: string;
  try {
    response = await doFetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${deps.token}`,
        "content-type": "application/json",
        ...(deps.target ? { "x-wotc-target": deps.target } : {}),
      },
      body: JSON.stringify(deps.request),
      signal: deps.signal ? AbortSignal.any([deps.signal, timeout]) : timeout,
    });
    body = await response.text();
  } catch (error) {
    if (deps.signal?.aborted) throw deps.signal.reason;
    const why = timeout.aborted ? "no answer within 15 s" : error instanceof Error ? error.message : String(error);
    throw new ServerUnavailable(`cannot reach ${url}: ${why}`);
  }

  if (response.status === 401) throw new RegistrationRefused("the server refused the token", 401);
  if (response.status === 426) throw outdated(body);
  if (response.status >= 500 || response.status === 429) {
    throw new ServerUnavailable(`${url} answered HTTP ${response.status}`);
  }
  if (!response.ok) {
    // The server's own words, whole: they say what to do (e.g. bring your own WG key)
    let said = errorOf(body);
    // A server from before volunteers' keys refuses the field itself
    if (said && deps.request.ownKey && response.status === 400 && said.includes('"ownKey"')) {
      said += "; this server is older than volunteers' own WG keys: run the client without --application-id (or ask the operator to update)";
    }
    throw new RegistrationRefused(
      said ? `the server refused this client (HTTP ${response.status}): ${said}` : `the server refused this client: HTTP ${response.status}${summarise(body)}`,
      response.status,
    );
  }

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ServerUnavailable(`${url} answered something that is not JSON${summarise(body)}`);
  }
  const parsed = v.safeParse(ClientSettings, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = v.getDotPath(issue) ?? "(root)";
    // A different protocol version will not fix itself by retrying
    throw new RegistrationRefused(`the server's settings do not match this client: ${path}: ${issue.message}`, response.status);
  }
  return parsed.output;
}

function outdated(body: string): ClientOutdated {
  let answer: { error?: unknown; minVersion?: unknown; download?: unknown } = {};
  try {
    answer = JSON.parse(body);
  } catch {
    // an answer we cannot read still means "update"
  }
  const text = (value: unknown, fallback: string) => (typeof value === "string" && value.length <= 500 ? value : fallback);
  return new ClientOutdated(text(answer.error, `the server needs a newer client${summarise(body)}`), text(answer.minVersion, "?"), text(answer.download, ""));
}

/**
 * fetch that trusts `ca` for requests to the tracker only: WG requests keep the
 * system's CA store (a custom `ca` replaces it rather than adding to it).
 */
export function fetchTrustingServerCa(server: string, ca: string, base: typeof fetch = fetch): typeof fetch {
  const prefix = server.replace(/\/+$/, "") + "/";
  const wrapped = (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return url.startsWith(prefix) ? base(input, { ...init, tls: { ca } } as RequestInit) : base(input, init);
  };
  return Object.assign(wrapped, { preconnect: base.preconnect }) as typeof fetch;
}

/** `{"error": "..."}`, the server's way of refusing, or undefined for anything else. */
function errorOf(body: string): string | undefined {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    return typeof error === "string" && error.length > 0 && error.length <= 1000 ? error : undefined;
  } catch {
    return undefined;
  }
}

function summarise(body: string): string {
  const text = body.replace(/\s+/g, " ").trim().slice(0, 200);
  return text ? ` (${text})` : "";
}
