/**
 * The server's configuration file (default `config/server.json`). Every field has
 * a description: `--init` prints them as comments in the example file, and a bad
 * field is reported with its dotted path and the reason.
 */
import * as v from "valibot";
import { isIP } from "node:net";
import { parseVersion, VERSION_FORMAT } from "./wire/client-version";

const port = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535));
const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const accountId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 40));

/** Relative to the config file's directory: config/server.json keeps its data in the checkout's data/. */
export const DEFAULT_DATA_DIR = "../data";

/**
 * IDs one platform's range may span. The real ranges are 11-16 million wide
 * and grow by 200,000 a day at most; every batch of the range is planned in
 * memory, so a typo (one zero too many) must stop at the config, not at
 * the run's memory.
 */
export const MAX_RANGE_IDS = 100_000_000;

const IdRange = v.pipe(
  v.strictObject({
    min: v.pipe(accountId, v.description("First account ID crawled (inclusive).")),
    max: v.pipe(accountId, v.description(`End of the crawl (exclusive); grows after a run when accounts appear near it. At most ${MAX_RANGE_IDS.toLocaleString("en-US")} IDs above min.`)),
  }),
  v.check((r) => r.min < r.max, (issue) => `min must be below max (min ${(issue.input as { min: number }).min}, max ${(issue.input as { max: number }).max})`),
  v.check(
    (r) => r.max - r.min <= MAX_RANGE_IDS,
    (issue) => {
      const r = issue.input as { min: number; max: number };
      return `spans ${(r.max - r.min).toLocaleString("en-US")} IDs, more than the ${MAX_RANGE_IDS.toLocaleString("en-US")} one platform may (a digit too many?)`;
    },
  ),
);

/** `[min, max)` of two platforms share no ID: each account belongs to one platform's crawl. */
function rangesOverlap(ranges: Record<string, { min: number; max: number }>): string | undefined {
  const entries = Object.entries(ranges);
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [a, ra] = entries[i]!;
      const [b, rb] = entries[j]!;
      if (ra.min < rb.max && rb.min < ra.max) return `${a} [${ra.min}, ${ra.max}) and ${b} [${rb.min}, ${rb.max}) overlap; each account ID belongs to one platform`;
    }
  }
  return undefined;
}

/** A client version as `bun run build:client` writes them; compared by schema/wire/client-version.ts. */
const Version = v.pipe(v.string(), v.check((text) => parseVersion(text) !== undefined, `expected ${VERSION_FORMAT}`));

/** Whether clients may (or must) query WG with their own application id instead of one of wg.keys. */
export const VOLUNTEER_KEY_POLICIES = ["never", "welcome", "required"] as const;
export type VolunteerKeyPolicy = (typeof VOLUNTEER_KEY_POLICIES)[number];

export const WgKey = v.strictObject({
  applicationId: v.pipe(v.string(), v.minLength(1), v.description("The Wargaming application_id.")),
  rps: v.pipe(
    v.nullable(v.pipe(v.number(), v.minValue(0.1))),
    v.description("Requests per second WG allows this key; shared among the clients holding it. null = no limit (simulator only)."),
  ),
  clients: v.pipe(
    // Addresses are compared as the server spells them: an IPv4 address never in its ::ffff: form
    v.array(v.pipe(v.string(), v.minLength(1), v.transform((entry) => entry.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1")))),
    v.minLength(1),
    v.description('Token names (as in `token add NAME`) or client addresses that use this key; "*" matches every client.'),
  ),
  countedPer: v.optional(
    v.pipe(
      v.picklist(["key", "address"]),
      v.description(
        'How WG counts this key\'s rps: "key" = one limit for every request made with it (server keys), split among all the clients holding it; ' +
          '"address" = a limit per public IP (standalone keys, wg-api.md §5), split only among the clients connecting from the same address.',
      ),
    ),
    "key",
  ),
});
export type WgKey = v.InferOutput<typeof WgKey>;

/** `203.0.113.7`, `2001:db8::/32`, `10.0.0.0/8`: one address or a CIDR range, IPv4 or IPv6. */
const AddressRule = v.pipe(
  v.string(),
  v.check(isAddressRule, 'expected an IPv4/IPv6 address or CIDR range such as "10.0.0.0/8" or "2001:db8::/32"'),
);

export function isAddressRule(text: string): boolean {
  const [address, prefix, extra] = text.trim().split("/");
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const Access = v.strictObject({
  allow: v.optional(
    v.pipe(v.array(AddressRule), v.description("Addresses or CIDR ranges that may register and connect; empty = every address not denied.")),
    [],
  ),
  deny: v.optional(v.pipe(v.array(AddressRule), v.description("Addresses or CIDR ranges refused even when allowed.")), []),
  maxConnectionsPerAddress: v.optional(v.pipe(positiveInt, v.description("Open work sockets allowed from one address.")), 16),
  registerPerMinute: v.optional(v.pipe(positiveInt, v.description("Register requests allowed from one address per minute.")), 30),
  failedUpgradesPerMinute: v.optional(
    v.pipe(positiveInt, v.description("Work-socket requests refused (bad token, not an upgrade) from one address per minute before the rest get 429 without a database look-up.")),
    30,
  ),
});

const Tls = v.pipe(
  v.strictObject({
    cert: v.optional(v.pipe(v.nullable(v.string()), v.description("PEM certificate (chain) file; with key, the server speaks HTTPS/WSS only.")), null),
    key: v.optional(v.pipe(v.nullable(v.string()), v.description("PEM private key file of the certificate.")), null),
  }),
  v.check((t) => (t.cert === null) === (t.key === null), "set both cert and key, or neither"),
);

const Admin = v.strictObject({
  token: v.optional(
    v.pipe(
      v.nullable(v.pipe(v.string(), v.minLength(16))),
      v.description("Bearer token for admin endpoints (per-client status); null = generated into <dataDir>/admin.token."),
    ),
    null,
  ),
  trustLoopback: v.optional(
    v.pipe(
      v.boolean(),
      v.description("Requests from 127.0.0.0/8 and ::1 with a loopback Host header count as admin without the token; never while server.trustedProxies is set."),
    ),
    true,
  ),
});

const Growth = v.strictObject({
  margin: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.description("A platform's max grows when the highest account ID found is within this of it (0 = never).")),
    50_000,
  ),
  step: v.optional(v.pipe(positiveInt, v.description("How much the max grows by; the config file is rewritten with the new max.")), 200_000),
});

const IndexNames = v.strictObject({
  totalBattles: v.optional(
    v.pipe(v.string(), v.minLength(1), v.description("Index for the day's total_battles rows; {date} becomes YYYY-MM-DD ({yyyy}, {mm}, {dd} too).")),
    "wotc-total_battles-{date}",
  ),
  diffBattles: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Index for the day's diff_battles rows.")), "wotc-diff_battles-{date}"),
  players: v.optional(
    v.pipe(v.string(), v.minLength(1), v.description("Index for the players that changed that day (one document per account, replaced).")),
    "wotc-players",
  ),
});

const ElasticCluster = v.strictObject({
  name: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '_', '.' or '-'"), v.description("Name in logs and of the offload file; default: host-port of the URL.")),
  ),
  url: v.pipe(v.string(), v.url(), v.description("Elasticsearch URL, e.g. https://es.example.org:9200.")),
  auth: v.optional(
    v.pipe(
      v.union([v.strictObject({ username: v.string(), password: v.string() }), v.strictObject({ apiKey: v.pipe(v.string(), v.minLength(1)) })]),
      v.description("{ username, password } or { apiKey }; omit for none."),
    ),
  ),
  indices: v.optional(v.pipe(IndexNames, v.description("Index names; those with the date get one index per day.")), {}),
  requestTimeoutMs: v.optional(v.pipe(positiveInt, v.description("A bulk request taking longer counts as failed (and is retried).")), 60_000),
  maxRetries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.description("Retries of a failed request before the rest is offloaded.")), 3),
  flushBytes: v.optional(v.pipe(positiveInt, v.description("Bytes of documents per bulk request.")), 2_000_000),
  concurrency: v.optional(v.pipe(positiveInt, v.maxValue(16), v.description("Bulk requests in flight at once.")), 2),
});

const Verification = v.strictObject({
  enabled: v.optional(
    v.pipe(v.boolean(), v.description("Check volunteers' answers against each other (off: every answer is taken as it comes, as before; for measurements only).")),
    true,
  ),
  agreementsToTrust: v.optional(
    v.pipe(positiveInt, v.description("Answers of a new token that another client's must confirm before it is trusted (until then every batch it answers is checked).")),
    20,
  ),
  spotCheckShare: v.optional(
    v.pipe(v.number(), v.minValue(0), v.maxValue(1), v.description("Share of a trusted token's batches answered again by another client, drawn at random.")),
    0.03,
  ),
  earlyChecks: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.description("A trusted token's n-th answer of a run is checked with probability earlyChecks/n (never less than spotCheckShare): one that turned dishonest is found early in its day."),
    ),
    5,
  ),
  checkWaitSeconds: v.optional(
    v.pipe(positiveInt, v.description("How long an answer waits for another client's before it is written unchecked (and checked later, when one is there).")),
    60,
  ),
  maxHeldBatches: v.optional(
    v.pipe(positiveInt, v.description("Answers held in memory while they wait for a check; past it new tokens wait and spot checks are skipped.")),
    2000,
  ),
  failAfterClients: v.optional(
    v.pipe(positiveInt, v.description("A batch that this many different clients fail is set aside as failed (the run ends without it; the next run retries it).")),
    3,
  ),
  maxFailedPerMinute: v.optional(
    v.pipe(positiveInt, v.description("Failed batches a client may report in a minute before each further one counts as a strike.")),
    10,
  ),
});

const Clients = v.strictObject({
  dir: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description("Where `bun run build:client` published the signed builds; relative to the config file's directory (WOTC_CLIENTS_DIR overrides it)."),
    ),
    "../dist/clients",
  ),
  minVersion: v.optional(
    v.pipe(
      v.nullable(Version),
      v.description("Oldest client version accepted at register and on the work socket; older ones are told to update (self-updating ones do). null = any."),
    ),
    null,
  ),
});

const Schedule = v.strictObject({
  time: v.optional(
    v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected "HH:MM" (UTC, 24-hour)'), v.description("With --serve: UTC time (HH:MM) at which each day's run starts.")),
    "00:30",
  ),
});

const Stats = v.strictObject({
  exportDir: v.optional(
    v.pipe(
      v.nullable(v.pipe(v.string(), v.minLength(1))),
      v.description("After each run (and each day with --serve), the static statistics export (as `bun run server export --out DIR`) is written here; null = none."),
    ),
    null,
  ),
});

export const ServerConfig = v.strictObject({
  server: v.optional(
    v.strictObject({
      host: v.optional(v.pipe(v.string(), v.description("Address to listen on.")), "0.0.0.0"),
      port: v.optional(v.pipe(port, v.description("Port to listen on (0 = any free port).")), 8888),
      leaseSeconds: v.optional(v.pipe(positiveInt, v.description("A batch not answered in this time returns to the queue.")), 120),
      extraInFlight: v.optional(
        v.pipe(v.pipe(v.number(), v.integer(), v.minValue(0)), v.description("Batches kept in flight per client beyond its rate, so it never idles.")),
        4,
      ),
      unlimitedInFlight: v.optional(
        v.pipe(positiveInt, v.description("Batches in flight per client when its key has no rate limit.")),
        32,
      ),
      progressSeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.description("Seconds between progress lines (0 = none).")), 5),
      dbHelpers: v.optional(v.pipe(positiveInt, v.maxValue(16), v.description("DB helper workers, each with its own connection.")), 2),
      chunkRows: v.optional(v.pipe(positiveInt, v.description("Player rows written per database statement.")), 2000),
      // 300 is a few chunks ahead of each helper, which is all they need. Every waiting result is held in
      // the server's memory: at 2,000 bench full-day's RSS peaked at 277-303 MB and grew 10-21% from 10% to
      // 100% of the run; at 300 it peaked at 253 and 262 MB, growth 8% and 4%, at the same IDs/s.
      maxQueuedBatches: v.optional(
        v.pipe(positiveInt, v.description("Results waiting for the database before the server stops leasing (back-pressure).")),
        300,
      ),
      dataDir: v.optional(
        v.pipe(
          v.string(),
          v.minLength(1),
          v.description(
            "Where the embedded database, the admin token and offload files live; relative to the config file's directory (the default, ../data, is the checkout's data/ for config/server.json).",
          ),
        ),
        DEFAULT_DATA_DIR,
      ),
      trustedProxies: v.optional(
        v.pipe(
          v.array(AddressRule),
          v.description(
            "Reverse proxies (addresses or CIDR ranges) whose forwardedHeader is believed; then loopback is no longer admin by itself. Empty = the socket's address is the client's.",
          ),
        ),
        [],
      ),
      forwardedHeader: v.optional(
        v.pipe(
          v.picklist(["x-forwarded-for", "forwarded"]),
          v.description("The header the proxies set or append the client's address to (only that one is read): x-forwarded-for or forwarded (RFC 7239)."),
        ),
        "x-forwarded-for",
      ),
      publicUrl: v.optional(
        v.pipe(
          v.nullable(v.pipe(v.string(), v.url())),
          v.description("The URL volunteers reach this server at (e.g. https://tracker.example.org), used in download links; null = the URL a request came to."),
        ),
        null,
      ),
      logFormat: v.optional(
        v.pipe(v.picklist(["text", "json"]), v.description('Log lines: "text" (readable, HH:MM:SS first) or "json" (one object per line); --log-format overrides.')),
        "text",
      ),
    }),
    {},
  ),
  database: v.optional(
    v.strictObject({
      url: v.optional(
        v.pipe(v.nullable(v.string()), v.description("PostgreSQL URL; null = DATABASE_URL, else an embedded PostgreSQL under dataDir.")),
        null,
      ),
    }),
    {},
  ),
  access: v.optional(v.pipe(Access, v.description("Who may register and connect, and how much one address may ask.")), {}),
  tls: v.optional(v.pipe(Tls, v.description("TLS for the HTTP and WebSocket listener.")), {}),
  admin: v.optional(v.pipe(Admin, v.description("Who may see per-client details and use admin endpoints.")), {}),
  wg: v.pipe(
    v.strictObject({
      apiBase: v.optional(
        v.pipe(v.string(), v.url(), v.description("WG API base URL; the method path is appended.")),
        "https://api-modernarmor.worldoftanks.com/wotx/",
      ),
      language: v.optional(v.pipe(v.string(), v.description("Language of the answers.")), "en"),
      requestTimeoutMs: v.optional(v.pipe(positiveInt, v.description("A WG request taking longer is retried.")), 15_000),
      maxAttempts: v.optional(v.pipe(positiveInt, v.description("Attempts per batch before the client hands it back as failed.")), 8),
      keys: v.optional(
        v.pipe(v.array(WgKey), v.description('The operator\'s WG keys and which clients use them; may be empty only when volunteerKeys is "required".')),
        [],
      ),
      volunteerKeys: v.optional(
        v.pipe(
          v.picklist(VOLUNTEER_KEY_POLICIES),
          v.description(
            'Volunteers\' own WG keys (client --application-id): "never" = only the keys above, a client bringing its own is refused; ' +
              '"welcome" = a client may bring its own and then gets none of ours; "required" = every client must bring its own. ' +
              "Wargaming's terms forbid giving an application id to third parties: a volunteer's key never leaves its machine, the server sees a hash of it.",
          ),
        ),
        "never",
      ),
      volunteerMaxRps: v.optional(
        v.pipe(
          v.number(),
          v.minValue(0.1),
          v.description("The most requests/s a volunteer's own key is given, whatever its client says the key allows: its answers are checked against that pace."),
        ),
        20,
      ),
    }),
    v.forward(
      v.check((wg) => wg.volunteerKeys === "required" || wg.keys.length > 0, 'at least one key is needed unless wg.volunteerKeys is "required"'),
      ["keys"],
    ),
  ),
  ranges: v.pipe(
    v.strictObject({
      xbox: IdRange,
      ps: IdRange,
    }),
    v.check((ranges) => rangesOverlap(ranges) === undefined, (issue) => rangesOverlap(issue.input as Record<string, { min: number; max: number }>) ?? "ranges overlap"),
  ),
  growth: v.optional(v.pipe(Growth, v.description("Range growth after a run, when accounts appear near a platform's max.")), {}),
  elasticsearch: v.optional(
    v.pipe(
      v.array(ElasticCluster),
      v.check((list) => new Set(list.map((c) => c.name ?? c.url)).size === list.length, "two clusters have the same name or URL"),
      v.description("Clusters the day's total_battles, diff_battles and changed players are indexed into after each run."),
    ),
    [],
  ),
  schedule: v.optional(v.pipe(Schedule, v.description("Scheduled mode (--serve): when the daily run starts.")), {}),
  verification: v.optional(v.pipe(Verification, v.description("Checking volunteers' answers: volunteers are strangers.")), {}),
  clients: v.optional(v.pipe(Clients, v.description("The client builds this server distributes, and which clients it accepts.")), {}),
  stats: v.optional(v.pipe(Stats, v.description("The public daily statistics, computed after each run.")), {}),
});
export type ServerConfig = v.InferOutput<typeof ServerConfig>;
export type ServerConfigInput = v.InferInput<typeof ServerConfig>;

export const PLACEHOLDER_APPLICATION_ID = "REPLACE_WITH_YOUR_APPLICATION_ID";

/** What `--init` writes: the values an operator edits first. */
export const DEFAULT_CONFIG: ServerConfigInput = {
  server: { host: "0.0.0.0", port: 8888 },
  database: { url: null },
  wg: {
    apiBase: "https://api-modernarmor.worldoftanks.com/wotx/",
    keys: [{ applicationId: PLACEHOLDER_APPLICATION_ID, rps: 10, clients: ["*"] }],
  },
  ranges: {
    xbox: { min: 5000, max: 15_500_000 },
    ps: { min: 1_073_740_000, max: 1_085_000_000 },
  },
};

/** `config.wg.keys[2].rps: Invalid type: Expected number but received "x"` */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.map((issue) => {
    const path = v.getDotPath(issue);
    return `${path ? `config.${path}` : "config"}: ${issue.message}`;
  });
}
