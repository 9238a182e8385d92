/**
 * The client's life: registering → working (one Session) → lost → back-off →
 * registering again, until the run is done, the token is refused, or the
 * caller aborts `signal` (SIGINT in main.ts). Registering again after every
 * lost socket matters: the server may have re-split the key's rate.
 */
import type { RegisterRequest } from "@wotc/schema/wire/register";
import clientPackage from "../package.json";
import { Backoff, type BackoffPolicy } from "./backoff";
import { type Clock, sleep, systemClock } from "./clock";
import { consoleLogger, type Logger } from "./log";
import { RateLimiter } from "./rate-limiter";
import { ClientOutdated, register, RegistrationRefused } from "./register";
import { describeRate, Session, type SocketFactory } from "./session";
import { ClientCounters } from "./stats";
import type { OwnKeyArgs } from "./config";
import { describeOwnKey, keyRefusedMessage, ownKeyClaim } from "./own-key";
import { socketUrl } from "./urls";
import { WgCaller } from "./wg";

export const CLIENT_VERSION: string = clientPackage.version;

export interface RunClientOptions {
  server: string;
  token: string;
  name: string;
  /** The volunteer's own WG key, used instead of one from the server (the server learns only its hash). */
  ownKey?: OwnKeyArgs;
  version?: string;
  /** The build target (linux-x64, …), told to the server so a refusal can name the right download. */
  target?: string;
  log?: Logger;
  /** Abort to stop: held batches are released, the socket closed, the promise resolves with code 0. */
  signal?: AbortSignal;
  /** Used for registration and for WG requests. */
  fetch?: typeof fetch;
  socket?: SocketFactory;
  clock?: Clock;
  /** Seconds between stats messages and progress lines. */
  statsIntervalMs?: number;
  /** Delay before re-registering after the server was unreachable or the socket was lost. */
  reconnect?: BackoffPolicy;
  /** Delay between attempts of one WG request. */
  wgRetry?: BackoffPolicy;
  onUpdate?: (version: string) => void;
  /** Seam for self-update: registered (again), e.g. with a restarted server that may distribute a new build. */
  onRegistered?: () => void;
}

export type ClientExitReason = "done" | "stopped" | "refused" | "outdated" | "key-refused";

export interface ClientExit {
  /** 0 when the run is done or the client was stopped, 1 when the server (or WG, the client's own key) refused it. */
  code: number;
  reason: ClientExitReason;
  message: string;
  /** With "outdated": the version the server needs. */
  minVersion?: string;
}

export const DEFAULT_RECONNECT: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000 };
/**
 * WG requests started together (rate-limiter.ts, groupSize). At 20
 * requests/s a client's CPU goes mostly to waking up, not to the requests:
 * one client, bench client-rate's driver, 2.50% of one core one at a time,
 * about 2.0% in pairs, 1.66% in fours, the rate and the strict-window
 * guarantee unchanged. Four requests at once, five times a second, is still
 * far from a burst WG could object to; a share that 4 does not divide falls
 * back to the largest group that does.
 */
export const REQUESTS_PER_WAKEUP = 4;
/** A session that lasted this long was healthy: the next loss starts the back-off afresh. */
const HEALTHY_SESSION_MS = 30_000;

export async function runClient(options: RunClientOptions): Promise<ClientExit> {
  const log = options.log ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const counters = new ClientCounters(() => clock.now());
  const limiter = new RateLimiter(null, 1, { clock, groupSize: REQUESTS_PER_WAKEUP });
  const reconnect = new Backoff(options.reconnect ?? DEFAULT_RECONNECT);
  const { ownKey } = options;
  const request: RegisterRequest = { name: options.name, version: options.version ?? CLIENT_VERSION, ...(ownKey ? { ownKey: ownKeyClaim(ownKey) } : {}) };
  const startedAt = clock.now();
  const { signal } = options;

  const stopped = (): ClientExit => {
    log.info(`stopped: ${summary(counters, clock.now() - startedAt)}`);
    return { code: 0, reason: "stopped", message: "stopped" };
  };
  /** Waits out the back-off; false when the client was stopped meanwhile. */
  const pause = async (ms: number): Promise<boolean> => {
    try {
      await sleep(clock, ms, signal);
      return true;
    } catch {
      return false;
    }
  };

  while (true) {
    if (signal?.aborted) return stopped();

    let settings;
    try {
      settings = await register({ server: options.server, token: options.token, request, target: options.target, fetch: options.fetch, signal });
    } catch (error) {
      if (signal?.aborted) return stopped();
      if (error instanceof ClientOutdated) {
        log.error(error.message);
        return { code: 1, reason: "outdated", message: error.message, minVersion: error.minVersion };
      }
      if (error instanceof RegistrationRefused) {
        log.error(error.message);
        return { code: 1, reason: "refused", message: error.message };
      }
      const delay = reconnect.next();
      log.warn(`${describe(error)}; retrying in ${seconds(delay)}`);
      if (!(await pause(delay))) return stopped();
      continue;
    }

    // Our own key wins over anything the server sends; the server sends none to a client that brings one
    const applicationId = ownKey?.applicationId ?? settings.applicationId;
    if (applicationId === undefined) {
      const message = "the server sent no WG key, and this client has none of its own: give yours with --application-id-file FILE (or ask the operator)";
      log.error(message);
      return { code: 1, reason: "refused", message };
    }
    limiter.configure(settings.rps, settings.inFlight);
    options.onRegistered?.();
    log.info(
      `registered as ${settings.name}: ${describeRate(settings.rps)}, ${settings.inFlight} batches in flight, WG at ${settings.apiBase}` +
        (ownKey ? ` with ${describeOwnKey(ownKey)}` : ""),
    );
    const caller = new WgCaller({ settings: { ...settings, applicationId }, limiter, counters, fetch: options.fetch, clock, retry: options.wgRetry });
    const session = new Session({
      url: socketUrl(options.server, settings.workPath),
      token: options.token,
      caller,
      limiter,
      counters,
      log,
      socket: options.socket,
      statsIntervalMs: options.statsIntervalMs,
      onUpdate: options.onUpdate,
      ownKey: ownKey !== undefined,
    });
    if (signal?.aborted) return stopped();
    const stop = () => void session.stop();
    signal?.addEventListener("abort", stop, { once: true });
    const sessionStart = clock.now();
    const end = await session.run();
    signal?.removeEventListener("abort", stop);

    if (end.kind === "done") {
      const message = `run ${end.date} is complete: ${summary(counters, clock.now() - startedAt)}`;
      log.info(message);
      return { code: 0, reason: "done", message };
    }
    if (end.kind === "key-refused") {
      // Reconnecting cannot help: the volunteer has to change the key
      const message = keyRefusedMessage(end.error);
      log.error(message);
      return { code: 1, reason: "key-refused", message };
    }
    if (end.kind === "stopped") {
      if (end.released > 0) log.info(`handed ${end.released} unfinished batches back to the server`);
      return stopped();
    }
    if (clock.now() - sessionStart >= HEALTHY_SESSION_MS) reconnect.reset();
    const delay = reconnect.next();
    const why = end.opened
      ? `connection to the server lost (code ${end.code}${end.reason ? `: ${end.reason}` : ""})`
      : `cannot open the work socket at ${socketUrl(options.server, settings.workPath)} (code ${end.code})`;
    log.warn(`${why}; reconnecting in ${seconds(delay)}`);
    if (!(await pause(delay))) return stopped();
  }
}

function summary(counters: ClientCounters, elapsedMs: number): string {
  const retries = counters.describeRetries();
  return (
    `${counters.batchesDone} batches done, ${counters.batchesFailed} failed, ` +
    `${counters.ids} IDs queried, ${counters.players} players found, ` +
    `${counters.requests} requests (${counters.retries} retries${retries ? `: ${retries}` : ""}) ` +
    `in ${seconds(elapsedMs)}`
  );
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
