/**
 * The WG `account/info` caller: one request per batch of up to 100 IDs, paced
 * by the rate limiter, retried with back-off on anything transient, and
 * checked so that no row outside the requested IDs ever leaves this module.
 */
import * as v from "valibot";
import type { ClientSettings } from "@wotc/schema/wire/register";
import type { PlayerRow } from "@wotc/schema/player";
import { describeWgPlayerIssue, wgPlayerRow } from "@wotc/schema/player-code";
import { redactApplicationIds, RETRYABLE_WG_ERRORS, WG_ACCOUNT_KEY, WgAccountInfoEnvelope } from "@wotc/schema/wg";
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
      /** Rows of the existing accounts among the requested IDs (null entries dropped), ready to send. */
      rows: PlayerRow[];
      /** Keys WG returned that were not requested, or whose account_id disagrees with the key. */
      strays: string[];
      attempts: number;
    }
  | { kind: "failed"; reason: string; attempts: number }
  /** WG refused the key itself (`error` is one of KEY_REFUSALS): every batch would fail alike. */
  | { kind: "key-refused"; error: string; reason: string; attempts: number };

export type Attempt =
  | { kind: "ok"; rows: PlayerRow[]; strays: string[] }
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
        result = this.redacted(await this.attempt(url, ids, signal));
      } finally {
        permit();
      }
      if (result.kind === "ok") {
        this.counters.ids += ids.length;
        return { ...result, attempts: attempt };
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

  private async attempt(url: string, ids: readonly number[], signal?: AbortSignal): Promise<Attempt> {
    const timeoutMs = this.deps.settings.requestTimeoutMs;
    // A timer cleared when the answer is in, not AbortSignal.timeout: that one fires 15 s later for
    // every request, and each wake-up of an otherwise idle client costs Bun an allocator sweep.
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimer(() => {
      timedOut = true;
      controller.abort(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let status: number;
    let body: string;
    try {
      const response = await this.fetch(url, { signal: controller.signal });
      status = response.status;
      body = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) return { kind: "retry", retry: "timeout", reason: `no answer within ${timeoutMs} ms` };
      return { kind: "retry", retry: "network", reason: `network error: ${describe(error)}` };
    } finally {
      this.clock.clearTimer(timer);
      signal?.removeEventListener("abort", onAbort);
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

    const parsed = v.safeParse(WgAccountInfoEnvelope, json);
    if (!parsed.success) {
      return { kind: "retry", retry: "bad-shape", reason: `unexpected response: ${firstIssue(parsed.issues)}` };
    }
    const answer = parsed.output;
    if (answer.status === "ok") return readPlayers(answer.data, ids, answer.meta?.count);
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
 * Reads the requested ids out of `data`: each entry is checked and encoded in
 * one step (wgPlayerRow), and an account_id that disagrees with its key makes
 * the entry a stray. WG answers every requested id, with null for accounts
 * that do not exist; an answer without some of them is broken, and writing it
 * would lose those players for the day.
 *
 * Looking the ids up is 15x cheaper than walking the keys (JSC stores numeric
 * keys as indices; `for…in` turns every one back into a string). The keys are
 * walked only when `meta.count` says there are more of them than we found, to
 * name the strays and check their shape: nothing but a requested id is ever
 * read into a row, so a lying count can at worst hide a stray from the warning.
 */
export function readPlayers(data: Record<string, unknown>, ids: readonly number[], metaCount?: number): Attempt {
  const asked = ascendingUnique(ids);
  const rows: PlayerRow[] = [];
  const strays: string[] = [];
  let missing = 0;
  let example: number | undefined;
  for (const id of asked) {
    const player = data[id];
    if (player === undefined) {
      missing++;
      example ??= id;
      continue;
    }
    if (player === null) continue;
    const row = wgPlayerRow(player);
    if (row === undefined) return badShape(playerIssue(player, String(id)));
    if (row[0] === id) rows.push(row);
    else strays.push(String(id));
  }
  if (missing > 0) return badShape(`the answer left out ${missing} of ${asked.length} requested accounts (e.g. ${example})`, false);
  if (metaCount !== asked.length) {
    const requested = new Set(asked);
    for (const key in data) {
      if (!WG_ACCOUNT_KEY.test(key)) return badShape(`data.${key}: Invalid format: Expected ${WG_ACCOUNT_KEY} but received "${key}"`);
      // "05000" is another key than "5000": only the canonical spelling answered a requested id
      if (key.charCodeAt(0) !== 48 && requested.has(Number(key))) continue;
      const player = data[key];
      if (player !== null && wgPlayerRow(player) === undefined) return badShape(playerIssue(player, key));
      strays.push(key);
    }
  }
  return { kind: "ok", rows, strays };
}

function playerIssue(player: unknown, key: string): string {
  const issue = describeWgPlayerIssue(player, ["data", key]);
  return issue ? `${issue.path.join(".")}: ${issue.message}` : `data.${key}: malformed player`;
}

/** A batch's ids already are; anything else is made so (a repeated id must not give two rows). */
function ascendingUnique(ids: readonly number[]): readonly number[] {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) return [...new Set(ids)].sort((a, b) => a - b);
  return ids;
}

function badShape(detail: string, unexpected = true): Attempt {
  return { kind: "retry", retry: "bad-shape", reason: unexpected ? `unexpected response: ${detail}` : detail };
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
