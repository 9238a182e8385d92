/**
 * The WG API as a request handler: keys, per-key rate limits, fault injection
 * and `account/info` over the simulated world. No socket here (server.ts binds
 * one), so a benchmark or a test can call `handle` directly.
 */
import { type AccountInfoQuery, type ApiError, accountInfoJson, apiError, errorJson, parseAccountInfo } from "./account-info.ts";
import { FAULT_KINDS, type FaultKind, FaultPlan, type Faults } from "./faults.ts";
import { ProjectionCache } from "./fields.ts";
import { defaultWorld, type World, WorldDay } from "./world.ts";
import { type CountedPer, createLimiter, type Limiter, type LimiterKind } from "./rate-limit.ts";
import { type KeyStats, KeyTally } from "./key-stats.ts";

export const ACCOUNT_INFO_PATH = "/wotx/account/info/";
export const DEFAULT_KEYS = ["demo-key"];

export interface KeyOption {
  applicationId: string;
  /** This key's requests/s; omitted = the simulator-wide `rps`. */
  rps?: number | null;
  /** How this key's limit is counted; omitted = the simulator-wide `limiter`. */
  limiter?: LimiterKind;
  /** Whether this key's limit is shared by every caller or counted per client address; omitted = `countedPer`. */
  countedPer?: CountedPer;
}

export interface SimulatorOptions {
  /** The world served; default defaultWorld(seed). */
  world?: World;
  /** Seed of the default world (when `world` is absent) and default fault seed; default 1. */
  seed?: number;
  /** UTC day served (YYYY-MM-DD); default the world's epoch. */
  day?: string;
  /** Accepted application_ids; anything else gets INVALID_APPLICATION_ID. Default ["demo-key"]. */
  keys?: (string | KeyOption)[];
  /** Requests/s allowed per key; null = unlimited (default). */
  rps?: number | null;
  /** How "rps requests per second" is counted (rate-limit.ts): "token-bucket" (default, one second of burst) or "sliding-window". */
  limiter?: LimiterKind;
  /**
   * "key" (default): one limit for everything sent with the key; "address": a
   * limit of its own for each client address (WG's standalone keys, wg-api.md §5).
   */
  countedPer?: CountedPer;
  /** Keep the time (ms, performance.now()) of every request that reached the rate check, in `stats().arrivals`. */
  recordArrivals?: boolean;
  /** Per-request fault probabilities; default none. */
  faults?: Faults;
  /** Seed of the fault sequence; default `seed`. */
  faultSeed?: number;
  /**
   * Poison ranges [from, to): a request whose first account id falls in one is
   * always answered 504 SOURCE_NOT_AVAILABLE, for tests of a batch that fails
   * on every client.
   */
  poison?: { from: number; to: number }[];
}

export interface SimulatorStats {
  day: string;
  /** Every HTTP request received. */
  requests: number;
  /** Complete `status: ok` answers sent (slow ones included, counted when sent). */
  ok: number;
  /** Account IDs listed in ok answers (nulls included). */
  idsAnswered: number;
  /** API errors caused by the request, by message (REQUEST_LIMIT_EXCEEDED, INVALID_ACCOUNT_ID, METHOD_NOT_FOUND, …). */
  errors: Record<string, number>;
  /** Same as errors.REQUEST_LIMIT_EXCEEDED. */
  rateLimited: number;
  /** Injected faults by kind (SOURCE_NOT_AVAILABLE is counted here, not in errors). */
  faults: Record<FaultKind, number>;
  /** First account ID of each ok answer → how many times it was answered ok. */
  okByStartId: Map<number, number>;
  /** With `recordArrivals`: when each request reached the rate check (ms), refused ones included. */
  arrivals: number[];
  /** Per application_id: requests, ok answers, rate-limited ones and the busiest second. */
  byKey: Record<string, KeyStats>;
}

/** A key's limit: its rule, and the limiters counting it (one, or one per client address). */
interface KeyLimit {
  rps: number;
  kind: LimiterKind;
  countedPer: CountedPer;
  limiters: Map<string, Limiter>;
}

const JSON_INIT: ResponseInit = { headers: { "content-type": "application/json; charset=utf-8" } };
const BAD_GATEWAY_PAGE =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

const emptyFaultCounts = () => Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

export class Simulator {
  readonly world: World;
  private worldDay: WorldDay;
  private faultPlan: FaultPlan;
  private readonly faultSeed: number;
  private readonly limits = new Map<string, KeyLimit | null>();
  private readonly recordArrivals: boolean;
  private readonly projections = new ProjectionCache();
  private counts = freshCounts();
  private poison: { from: number; to: number }[] | undefined;

  constructor(options: SimulatorOptions = {}) {
    this.poison = options.poison;
    const seed = options.seed ?? 1;
    this.world = options.world ?? defaultWorld(seed);
    this.worldDay = new WorldDay(this.world, options.day ?? this.world.epoch);
    this.faultSeed = options.faultSeed ?? seed;
    this.faultPlan = new FaultPlan(options.faults ?? {}, this.faultSeed);
    this.recordArrivals = options.recordArrivals ?? false;
    for (const key of options.keys ?? DEFAULT_KEYS) {
      const {
        applicationId,
        rps = options.rps ?? null,
        limiter = options.limiter ?? "token-bucket",
        countedPer = options.countedPer ?? "key",
      } = typeof key === "string" ? { applicationId: key } : key;
      if (applicationId === "") throw new RangeError("keys: an application_id must not be empty");
      if (rps !== null) createLimiter(limiter, rps, 0); // a bad rate is refused at start, not on the first request
      this.limits.set(applicationId, rps === null ? null : { rps, kind: limiter, countedPer, limiters: new Map() });
    }
  }

  /** The application_ids this simulator accepts. */
  get keys(): string[] {
    return [...this.limits.keys()];
  }

  get day(): string {
    return this.worldDay.day;
  }

  /** Serve another day from now on (counters of later days never decrease). */
  setDay(day: string): void {
    this.worldDay = new WorldDay(this.world, day);
  }

  /** Replace the fault probabilities; the fault sequence restarts from the fault seed. */
  setFaults(faults: Faults): void {
    this.faultPlan = new FaultPlan(faults, this.faultSeed);
  }

  stats(): SimulatorStats {
    const c = this.counts;
    const byKey = Object.fromEntries([...c.byKey].map(([key, tally]) => [key, { ...tally.stats }]));
    return {
      ...c,
      day: this.day,
      errors: { ...c.errors },
      faults: { ...c.faults },
      okByStartId: new Map(c.okByStartId),
      arrivals: [...c.arrivals],
      byKey,
    };
  }

  resetStats(): void {
    this.counts = freshCounts();
  }

  /** `address`: the client's address, for keys counted per address (server.ts passes the socket's). */
  readonly handle = async (request: Request, address = "127.0.0.1"): Promise<Response> => {
    this.counts.requests++;
    const url = new URL(request.url);
    if (url.pathname !== ACCOUNT_INFO_PATH || (request.method !== "GET" && request.method !== "POST")) {
      return this.error(apiError(404, "METHOD_NOT_FOUND"));
    }
    const fault = this.faultPlan.draw();
    // A gateway in front of WG fails before the API sees the request.
    if (fault === "html502") return this.fault(fault, new Response(BAD_GATEWAY_PAGE, { status: 502, headers: { "content-type": "text/html" } }));
    if (fault === "http500") return this.fault(fault, new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain" } }));

    const params = request.method === "POST" ? await mergedFormParams(url, request) : url.searchParams;
    const checked = this.admit(params, address);
    if ("message" in checked) return this.error(checked);
    // WG counts a request when it arrives, on servers that answer many at once. Here one thread
    // answers them in turn: without this yield the 4th request of a client's group was counted
    // only after the bodies of the 3 before it were built, 3-6 ms late, the size of the client's
    // whole window margin, and a strict window then saw 21 arrivals closer than they were sent.
    // Every request that has arrived is counted before any body is built.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.poisoned(checked.ids[0])) return this.error(apiError(504, "SOURCE_NOT_AVAILABLE"));
    if (fault === "sourceNotAvailable") return this.fault(fault, jsonResponse(errorJson(apiError(504, "SOURCE_NOT_AVAILABLE"))));

    const body = accountInfoJson(this.worldDay, checked);
    // Cut inside the data so the body is never accidentally valid JSON.
    if (fault === "truncated") return this.fault(fault, jsonResponse(body.slice(0, Math.max(1, body.length >> 1))));
    if (fault === "slow") {
      this.counts.faults.slow++;
      await Bun.sleep(this.faultPlan.slowMs);
    }
    this.countOk(checked, params.get("application_id")!);
    return jsonResponse(body);
  };

  /** Key, rate, then the parameters (wg-api.md §8.2). */
  private admit(params: URLSearchParams, address: string): AccountInfoQuery | ApiError {
    const applicationId = params.get("application_id");
    if (!applicationId) return apiError(402, "APPLICATION_ID_NOT_SPECIFIED", "application_id");
    const now = performance.now();
    const tally = this.tallyOf(applicationId, now);
    tally.request(now);
    const limit = this.limits.get(applicationId);
    if (limit === undefined) return apiError(407, "INVALID_APPLICATION_ID", "application_id", applicationId);
    if (limit !== null && !this.limiterFor(limit, address, now).take(this.arrival(now))) {
      this.counts.rateLimited++;
      tally.stats.rateLimited++;
      return apiError(407, "REQUEST_LIMIT_EXCEEDED", "application_id");
    }
    return parseAccountInfo(params, this.projections);
  }

  private tallyOf(applicationId: string, now: number): KeyTally {
    let tally = this.counts.byKey.get(applicationId);
    if (!tally) this.counts.byKey.set(applicationId, (tally = new KeyTally(now)));
    return tally;
  }

  private limiterFor(limit: KeyLimit, address: string, now: number): Limiter {
    const who = limit.countedPer === "key" ? "" : address;
    let limiter = limit.limiters.get(who);
    if (!limiter) limit.limiters.set(who, (limiter = createLimiter(limit.kind, limit.rps, now)));
    return limiter;
  }

  /** A request reaching the rate check at `now`, recorded when asked to. */
  private arrival(now: number): number {
    if (this.recordArrivals && this.counts.arrivals.length < MAX_ARRIVALS) this.counts.arrivals.push(now);
    return now;
  }

  private poisoned(firstId: number | undefined): boolean {
    return firstId !== undefined && (this.poison ?? []).some((r) => firstId >= r.from && firstId < r.to);
  }

  /** Change the poison ranges (tests: a batch that fails everywhere, then heals). */
  setPoison(poison: { from: number; to: number }[]): void {
    this.poison = poison;
  }

  private error(e: ApiError): Response {
    this.counts.errors[e.message] = (this.counts.errors[e.message] ?? 0) + 1;
    return jsonResponse(errorJson(e));
  }

  private fault(kind: FaultKind, response: Response): Response {
    this.counts.faults[kind]++;
    return response;
  }

  private countOk(query: AccountInfoQuery, applicationId: string): void {
    const c = this.counts;
    c.ok++;
    c.idsAnswered += query.ids.length;
    const start = query.ids[0];
    c.okByStartId.set(start, (c.okByStartId.get(start) ?? 0) + 1);
    const tally = this.counts.byKey.get(applicationId);
    if (tally) tally.stats.ok++;
  }
}

/** A bench records at most this many arrivals (an hour at 250 requests/s). */
const MAX_ARRIVALS = 1_000_000;

function freshCounts() {
  return {
    requests: 0,
    ok: 0,
    idsAnswered: 0,
    errors: {} as Record<string, number>,
    rateLimited: 0,
    faults: emptyFaultCounts(),
    okByStartId: new Map<number, number>(),
    arrivals: [] as number[],
    byKey: new Map<string, KeyTally>(),
  };
}

function jsonResponse(body: string): Response {
  return new Response(body, JSON_INIT);
}

/** Form fields of a POST on top of any query-string parameters; the body wins. */
async function mergedFormParams(url: URL, request: Request): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.searchParams);
  const type = request.headers.get("content-type") ?? "";
  if (type.startsWith("multipart/form-data")) {
    for (const [name, value] of await request.formData()) if (typeof value === "string") params.set(name, value);
  } else {
    for (const [name, value] of new URLSearchParams(await request.text())) params.set(name, value);
  }
  return params;
}
