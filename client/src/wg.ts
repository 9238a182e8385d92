/**
 * The WG `account/info` caller: one request per batch of up to 100 IDs, paced
 * by the rate limiter, retried with back-off on anything transient, and
 * checked so that no row outside the requested IDs ever leaves this module.
 */
import * as v from "valibot";
import type { ClientSettings } from "@wotc/schema/wire/register";
import { redactApplicationIds, RETRYABLE_WG_ERRORS, WgAccountInfoResponse, type WgPlayer } from "@wotc/schema/wg";
import { Backoff, type BackoffPolicy } from "./backoff";
import { type Clock, sleep, systemClock } from "./clock";
import type { RateLimiter } from "./rate-limiter";
import { KEY_REFUSALS } from "./own-key";
import { ClientCounters, type RetryKind } from "./stats";

export type WgSettings = Pick<ClientSettings, "apiBase" | "fields" | "language" | "requestTimeoutMs" | "maxAttempts"> & {
  /** The operator's key from the settings, or the volunteer's own. */
  applicationId: string;
};

export interface WgCallerDeps {
  settings: WgSettings;
  limiter: RateLimiter;
  counters?: ClientCounters;
  fetch?: (url: string, init: { signal: AbortSignal }) => Promise<Response>;
  clock?: Clock;
  /** Delay between attempts of one batch. */
  retry?: BackoffPolicy;
  random?: () => number;
}

export type WgOutcome =
  | {
      kind: "ok";
      /** Existing accounts among the requested IDs (null entries dropped). */
      players: WgPlayer[];
      /** Keys WG returned that were not requested, or whose account_id disagrees with the key. */
      strays: string[];
      attempts: number;
    }
  | { kind: "failed"; reason: string; attempts: number }
  /** WG refused the key itself (`error` is one of KEY_REFUSALS): every batch would fail alike. */
  | { kind: "key-refused"; error: string; reason: string; attempts: number };

type Attempt =
  | { kind: "ok"; data: Record<string, WgPlayer | null> }
  | { kind: "retry"; retry: RetryKind; reason: string }
  | { kind: "fatal"; reason: string }
  | { kind: "key-refused"; error: string; reason: string };

export const DEFAULT_RETRY: BackoffPolicy = { initialMs: 250, maxMs: 8_000 };
/** The server's `failed.reason` limit (schema/wire/messages.ts). */
const MAX_REASON = 500;

export class WgCaller {
  private readonly urlPrefix: string;
  private readonly urlSuffix: string;
  private readonly endpoint: string;
  private readonly counters: ClientCounters;
  private readonly fetch: NonNullable<WgCallerDeps["fetch"]>;
  private readonly clock: Clock;
  private readonly retry: BackoffPolicy;
  private readonly random: () => number;

  constructor(private readonly deps: WgCallerDeps) {
    const { settings } = deps;
    // WG wants the trailing slash after the method; the base may omit its own
    const base = settings.apiBase.endsWith("/") ? settings.apiBase : `${settings.apiBase}/`;
    this.endpoint = `${base}account/info/`;
    this.urlPrefix = `${this.endpoint}?application_id=${encodeURIComponent(settings.applicationId)}&account_id=`;
    const fields = settings.fields.map(encodeURIComponent).join(",");
    this.urlSuffix = `${fields ? `&fields=${fields}` : ""}&language=${encodeURIComponent(settings.language)}`;
    this.counters = deps.counters ?? new ClientCounters();
    this.fetch = deps.fetch ?? ((url, init) => fetch(url, init));
    this.clock = deps.clock ?? systemClock;
    this.retry = deps.retry ?? DEFAULT_RETRY;
    this.random = deps.random ?? Math.random;
  }

  /**
   * Asks WG for `ids` until it answers or the attempts run out. Rejects only
   * when `signal` is aborted (the session ended: nothing is to be reported).
   */
  async fetchAccounts(ids: readonly number[], signal?: AbortSignal): Promise<WgOutcome> {
    const url = this.urlPrefix + ids.join(",") + this.urlSuffix;
    const maxAttempts = Math.max(1, Math.floor(this.deps.settings.maxAttempts));
    const backoff = new Backoff(this.retry, this.random);
    let lastReason = "";
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const permit = await this.deps.limiter.acquire(signal);
      this.counters.requests++;
      let result: Attempt;
      try {
        result = this.redacted(await this.attempt(url, signal));
      } finally {
        permit();
      }
      if (result.kind === "ok") result = leftOutAccounts(result.data, ids) ?? result;
      if (result.kind === "ok") {
        this.counters.ids += ids.length;
        return { ...pickRequested(result.data, ids), attempts: attempt };
      }
      if (result.kind === "fatal") return { kind: "failed", reason: clip(result.reason), attempts: attempt };
      if (result.kind === "key-refused") return { ...result, reason: clip(result.reason), attempts: attempt };
      if (result.retry === "rate-limited") {
        this.counters.rateLimited++;
        this.deps.limiter.onRateLimited();
      }
      lastReason = result.reason;
      if (attempt === maxAttempts) break;
      this.counters.retries++;
      this.counters.countRetry(result.retry);
      await sleep(this.clock, backoff.next(), signal);
    }
    return { kind: "failed", reason: clip(`gave up after ${maxAttempts} attempts; last: ${lastReason}`), attempts: maxAttempts };
  }

  /** Reasons are logged and sent to the server: the key must not be in one (an error message may quote the URL). */
  private redacted(result: Attempt): Attempt {
    if (result.kind === "ok") return result;
    return { ...result, reason: redactApplicationIds(result.reason, [this.deps.settings.applicationId]) };
  }

  private async attempt(url: string, signal?: AbortSignal): Promise<Attempt> {
    const timeoutMs = this.deps.settings.requestTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number;
    let body: string;
    try {
      const response = await this.fetch(url, { signal: combined });
      status = response.status;
      body = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return { kind: "retry", retry: "timeout", reason: `no answer within ${timeoutMs} ms` };
      return { kind: "retry", retry: "network", reason: `network error: ${describe(error)}` };
    }

    const html = looksLikeHtml(body);
    if (status >= 500 || status === 429) {
      return { kind: "retry", retry: "http-error", reason: `HTTP ${status}${html ? " (HTML page)" : ""}` };
    }
    if (status < 200 || status >= 300) return { kind: "fatal", reason: `HTTP ${status} from ${this.endpoint}` };

    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return html
        ? { kind: "retry", retry: "html-page", reason: "an HTML page instead of JSON" }
        : { kind: "retry", retry: "bad-json", reason: `malformed JSON (${body.length} bytes)` };
    }

    const parsed = v.safeParse(WgAccountInfoResponse, json);
    if (!parsed.success) {
      return { kind: "retry", retry: "bad-shape", reason: `unexpected response: ${firstIssue(parsed.issues)}` };
    }
    const answer = parsed.output;
    if (answer.status === "ok") return { kind: "ok", data: answer.data };
    const { code, message, field, value } = answer.error;
    // For application_id the value is our key itself: never in a reason
    const shown = value != null && field !== "application_id" ? `=${value}` : "";
    const reason = `WG error ${code} ${message}${field ? ` (field ${field}${shown})` : ""}`;
    if (message in KEY_REFUSALS) return { kind: "key-refused", error: message, reason };
    if (!RETRYABLE_WG_ERRORS.has(message)) return { kind: "fatal", reason };
    return {
      kind: "retry",
      retry: message === "REQUEST_LIMIT_EXCEEDED" ? "rate-limited" : "source-not-available",
      reason,
    };
  }
}

/**
 * WG answers every requested id, with null for accounts that do not exist; an
 * answer without some of them is broken, and writing it would lose those
 * players for the day.
 */
function leftOutAccounts(data: Record<string, WgPlayer | null>, ids: readonly number[]): Attempt | undefined {
  let missing = 0;
  let example: number | undefined;
  for (const id of ids) {
    if (!(String(id) in data)) {
      missing++;
      example ??= id;
    }
  }
  if (missing === 0) return undefined;
  return { kind: "retry", retry: "bad-shape", reason: `the answer left out ${missing} of ${ids.length} requested accounts (e.g. ${example})` };
}

function pickRequested(data: Record<string, WgPlayer | null>, ids: readonly number[]) {
  const requested = new Set(ids);
  const players: WgPlayer[] = [];
  const strays: string[] = [];
  for (const key in data) {
    const id = Number(key);
    const player = data[key];
    if (!requested.has(id) || (player !== null && player.account_id !== id)) strays.push(key);
    else if (player !== null) players.push(player);
  }
  return { kind: "ok" as const, players, strays };
}

function looksLikeHtml(body: string): boolean {
  return /^\s*</.test(body.slice(0, 64));
}

function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  const path = v.getDotPath(issue);
  return `${path ? `${path}: ` : ""}${issue.message}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function clip(reason: string): string {
  return reason.length <= MAX_REASON ? reason : `${reason.slice(0, MAX_REASON - 1)}…`;
}
