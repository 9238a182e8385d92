/**
 * A small stand-in for Elasticsearch (it cannot be installed here) that speaks
 * what the sync uses, the way Elasticsearch 9 does: `GET /` and `HEAD /` (the
 * client refuses any 2xx answer without `x-elastic-product: Elasticsearch`),
 * `HEAD /<index>`, `PUT /<index>` (400 resource_already_exists_exception when
 * it exists), `_bulk` with per-item results and `errors: true` when some
 * items failed, `_refresh`, `_count`. Tests inspect what it holds and inject
 * faults: documents rejected by a predicate, whole requests refused, or the
 * listener taken down and brought back on the same port.
 */
import type { Server } from "bun";

export interface StoredIndex {
  mappings: unknown;
  /** Created by PUT /<index> (false: created by a bulk write, with dynamic mapping). */
  explicit: boolean;
  docs: Map<string, unknown>;
}

export interface ItemFault {
  status: number;
  type: string;
  reason: string;
}

export interface EsTestServerOptions {
  port?: number;
  /** Required credentials; requests without them get 401 as Elasticsearch's security does. */
  auth?: { username: string; password: string } | { apiKey: string };
  /** Keep document sources (false for benchmarks: count only). */
  keepSources?: boolean;
}

const PRODUCT_HEADERS = { "x-elastic-product": "Elasticsearch", "content-type": "application/json" };

export class EsTestServer {
  readonly indices = new Map<string, StoredIndex>();
  /** How many times each `index/id` was received in a bulk index/create action, accepted or not. */
  readonly received = new Map<string, number>();
  readonly counters = { bulkRequests: 0, items: 0, rejectedItems: 0, refusedRequests: 0 };
  /** Per bulk item: a fault to answer with instead of indexing, or undefined to index. */
  itemFault: ((index: string, id: string, source: any) => ItemFault | undefined) | undefined;
  private refuseBulk: { after: number; remaining: number; status: number } | undefined;
  private server: Server<undefined> | undefined;
  private portNumber: number;

  constructor(private readonly options: EsTestServerOptions = {}) {
    this.portNumber = options.port ?? 0;
  }

  start(): this {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: this.portNumber, fetch: (request) => this.handle(request) });
    this.portNumber = this.server.port!;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  /** Stops listening (connections are refused) until up(). */
  async down(): Promise<void> {
    await this.server?.stop(true);
    this.server = undefined;
  }

  up(): void {
    if (!this.server) this.start();
  }

  stop(): Promise<void> {
    return this.down();
  }

  /** After `after` more bulk requests, the next `count` are answered with `status` as a whole (e.g. 503), nothing indexed. */
  refuseBulkRequests(count: number, status = 503, after = 0): void {
    this.refuseBulk = { after, remaining: count, status };
  }

  docs(index: string): Map<string, unknown> {
    return this.indices.get(index)?.docs ?? new Map();
  }

  /** Total documents held over every index. */
  get documentCount(): number {
    let total = 0;
    for (const index of this.indices.values()) total += index.docs.size;
    return total;
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method;
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (!this.authorized(request)) {
      return error(401, "security_exception", "unable to authenticate user [anonymous] for REST request [" + url.pathname + "]");
    }
    if (parts.length === 0 && (method === "GET" || method === "HEAD")) {
      const body = {
        name: "es-test-server",
        cluster_name: "wotc-test",
        version: { number: "9.0.0", build_flavor: "default", lucene_version: "10.1.0" },
        tagline: "You Know, for Search",
      };
      return method === "HEAD" ? new Response(null, { headers: PRODUCT_HEADERS }) : json(200, body);
    }
    if (parts.at(-1) === "_bulk" && (method === "POST" || method === "PUT")) return this.bulk(await request.text(), parts.length > 1 ? parts[0] : undefined);
    if (parts.at(-1) === "_refresh") return json(200, { _shards: { total: 1, successful: 1, failed: 0 } });
    if (parts.length === 2 && parts[1] === "_count") {
      return json(200, { count: this.indices.get(parts[0]!)?.docs.size ?? 0, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } });
    }
    if (parts.length === 1 && !parts[0]!.startsWith("_")) {
      const name = parts[0]!;
      const index = this.indices.get(name);
      if (method === "HEAD") return new Response(null, { status: index ? 200 : 404, headers: PRODUCT_HEADERS });
      if (method === "PUT") {
        if (index) return error(400, "resource_already_exists_exception", `index [${name}/aBcD] already exists`, name);
        if (name !== name.toLowerCase()) return error(400, "invalid_index_name_exception", `Invalid index name [${name}], must be lowercase`, name);
        const text = await request.text();
        const body = text ? JSON.parse(text) : {};
        this.indices.set(name, { mappings: body.mappings, explicit: true, docs: new Map() });
        return json(200, { acknowledged: true, shards_acknowledged: true, index: name });
      }
      if (method === "GET") {
        if (!index) return error(404, "index_not_found_exception", `no such index [${name}]`, name);
        return json(200, { [name]: { mappings: index.mappings ?? {}, settings: {} } });
      }
    }
    return error(400, "illegal_argument_exception", `no handler for ${method} ${url.pathname} in the test server`);
  }

  private authorized(request: Request): boolean {
    const auth = this.options.auth;
    if (!auth) return true;
    const header = request.headers.get("authorization") ?? "";
    if ("apiKey" in auth) return header === `ApiKey ${auth.apiKey}`;
    return header === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  }

  private bulk(body: string, defaultIndex: string | undefined): Response {
    this.counters.bulkRequests++;
    if (this.refuseBulk && this.refuseBulk.after > 0) this.refuseBulk.after--;
    else if (this.refuseBulk && this.refuseBulk.remaining > 0) {
      this.refuseBulk.remaining--;
      this.counters.refusedRequests++;
      return error(this.refuseBulk.status, "unavailable_shards_exception", "the test server refuses this bulk request");
    }
    const started = performance.now();
    const lines = body.split("\n");
    const items: unknown[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === "") continue;
      const action = JSON.parse(line) as Record<string, { _index?: string; _id?: string }>;
      const op = Object.keys(action)[0]!;
      const meta = action[op]!;
      const indexName = meta._index ?? defaultIndex ?? "";
      const id = meta._id ?? crypto.randomUUID();
      const hasSource = op === "index" || op === "create" || op === "update";
      const source = hasSource ? JSON.parse(lines[++i] ?? "null") : undefined;
      this.counters.items++;
      if (op !== "index" && op !== "create") {
        errors = true;
        items.push({ [op]: { _index: indexName, _id: id, status: 400, error: { type: "illegal_argument_exception", reason: `the test server only supports index and create, not ${op}` } } });
        continue;
      }
      const key = `${indexName}/${id}`;
      this.received.set(key, (this.received.get(key) ?? 0) + 1);
      const fault = this.itemFault?.(indexName, id, source);
      if (fault) {
        errors = true;
        this.counters.rejectedItems++;
        items.push({ [op]: { _index: indexName, _id: id, status: fault.status, error: { type: fault.type, reason: fault.reason, index: indexName } } });
        continue;
      }
      let index = this.indices.get(indexName);
      if (!index) {
        index = { mappings: undefined, explicit: false, docs: new Map() };
        this.indices.set(indexName, index);
      }
      const existed = index.docs.has(id);
      if (op === "create" && existed) {
        errors = true;
        items.push({ create: { _index: indexName, _id: id, status: 409, error: { type: "version_conflict_engine_exception", reason: `[${id}]: version conflict, document already exists` } } });
        continue;
      }
      index.docs.set(id, this.options.keepSources === false ? true : source);
      items.push({
        [op]: {
          _index: indexName,
          _id: id,
          _version: 1,
          result: existed ? "updated" : "created",
          _shards: { total: 1, successful: 1, failed: 0 },
          _seq_no: 0,
          _primary_term: 1,
          status: existed ? 200 : 201,
        },
      });
    }
    return json(200, { errors, took: Math.round(performance.now() - started), items });
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: PRODUCT_HEADERS });
}

function error(status: number, type: string, reason: string, index?: string): Response {
  const cause = { type, reason, ...(index ? { index } : {}) };
  return json(status, { error: { root_cause: [cause], ...cause }, status });
}

export function startEsTestServer(options: EsTestServerOptions = {}): EsTestServer {
  return new EsTestServer(options).start();
}
