/**
 * The WG API as a request handler: keys, per-key rate limits, fault injection
 * and `account/info` over the simulated world. No socket here (server.ts binds
 * one), so a benchmark or a test can call `handle` directly.
 */
import { type AccountInfoQuery, type ApiError, accountInfoJson, apiError, errorJson, parseAccountInfo } from "./account-info.ts";
import { FAULT_KINDS, type FaultKind, FaultPlan, type Faults } from "./faults.ts";
import { ProjectionCache } from "./fields.ts";
import { defaultWorld, type World, WorldDay } from "./world.ts";
import { TokenBucket } from "./rate-limit.ts";
import { type KeyStats, KeyTally } from "./key-stats.ts";

export const ACCOUNT_INFO_PATH = "/wotx/account/info/";
export const DEFAULT_KEYS = ["demo-key"];

export interface KeyOption {
  applicationId: string;
  /** This key's requests/s; omitted = the simulator-wide `rps`. */
  rps?: number | null;
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
  /** Requests/s allowed per key (token bucket holding one second of burst); null = unlimited (default). */
  rps?: number | null;
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
  /** Per application_id: requests, ok answers, rate-limited ones and the busiest second. */
  byKey: Record<string, KeyStats>;
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
  private readonly buckets = new Map<string, TokenBucket | null>();
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
    const now = performance.now();
    for (const key of options.keys ?? DEFAULT_KEYS) {
      const { applicationId, rps = options.rps ?? null } = typeof key === "string" ? { applicationId: key } : key;
      if (applicationId === "") throw new RangeError("keys: an application_id must not be empty");
      this.buckets.set(applicationId, rps === null ? null : new TokenBucket(rps, now));
    }
  }

  /** The application_ids this simulator accepts. */
  get keys(): string[] {
    return [...this.buckets.keys()];
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
    return { ...c, day: this.day, errors: { ...c.errors }, faults: { ...c.faults }, okByStartId: new Map(c.okByStartId), byKey };
  }

  resetStats(): void {
    this.counts = freshCounts();
  }

  readonly handle = async (request: Request): Promise<Response> => {
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
    const checked = this.admit(params);
    if ("message" in checked) return this.error(checked);
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
  private admit(params: URLSearchParams): AccountInfoQuery | ApiError {
    const applicationId = params.get("application_id");
    if (!applicationId) return apiError(402, "APPLICATION_ID_NOT_SPECIFIED", "application_id");
    const now = performance.now();
    const tally = this.tallyOf(applicationId, now);
    tally.request(now);
    const bucket = this.buckets.get(applicationId);
    if (bucket === undefined) return apiError(407, "INVALID_APPLICATION_ID", "application_id", applicationId);
    if (bucket !== null && !bucket.take(now)) {
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

function freshCounts() {
  return {
    requests: 0,
    ok: 0,
    idsAnswered: 0,
    errors: {} as Record<string, number>,
    rateLimited: 0,
    faults: emptyFaultCounts(),
    okByStartId: new Map<number, number>(),
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
