/**
 * A crawl without sockets or a database, for unit tests: a real hub, lease
 * book, verifier and trust book, fake sockets that keep what the server
 * sends, and a sink that keeps the write jobs until the test commits them.
 */
import * as v from "valibot";
import { ServerConfig } from "@wotc/schema/config";
import type { ServerMessage, Batch } from "@wotc/schema/wire/messages";
import type { PlayerRow } from "@wotc/schema/player";
import type { TrustLevel } from "@wotc/schema/db/client-tokens";
import type { OwnKey } from "@wotc/schema/wire/register";
import { ClientHub } from "../../server/src/ws/hub";
import { Crawl, type ChunkSink } from "../../server/src/crawl/crawl";
import { LeaseBook } from "../../server/src/plan/lease-book";
import { WorkPlan } from "../../server/src/plan/work-plan";
import { KnownAccounts } from "../../server/src/verify/known-accounts";
import { TrustBook } from "../../server/src/verify/trust-book";
import { Provenance } from "../../server/src/crawl/provenance";
import { RunErrors } from "../../server/src/crawl/run-errors";
import type { PackedWriteJob, WriteJob } from "../../server/src/db/messages";
import { unpackColumns } from "../../server/src/db/column-transfer";

export function testConfig(
  overrides: { server?: Record<string, unknown>; verification?: Record<string, unknown>; keys?: unknown[]; wg?: Record<string, unknown>; xboxBatches?: number } = {},
) {
  return v.parse(ServerConfig, {
    server: { extraInFlight: 2, chunkRows: 1, ...overrides.server },
    wg: {
      keys: overrides.keys ?? [
        { applicationId: "shared", rps: 20, clients: ["*"] },
        { applicationId: "own", rps: 10, clients: ["special"] },
      ],
      ...overrides.wg,
    },
    ranges: { xbox: { min: 5000, max: 5000 + 100 * (overrides.xboxBatches ?? 20) }, ps: { min: 1_073_740_000, max: 1_073_742_000 } },
    verification: overrides.verification ?? {},
  });
}

export class HeldSink implements ChunkSink {
  readonly jobs: WriteJob[] = [];
  private written = 0;
  get pending() {
    return this.jobs.length - this.written;
  }
  submit(job: PackedWriteJob) {
    // as a helper gets it: unpacked into columns
    this.jobs.push({ ...job, players: unpackColumns(job.players) } as WriteJob);
    return this.jobs.length;
  }
  markWritten() {
    this.written++;
  }
}

export interface FakeClient {
  session: ReturnType<ClientHub["open"]> & {};
  received: ServerMessage[];
  closed(): string | undefined;
  rates(): ServerMessage[];
  /** Every batch leased to it so far. */
  work(): Batch[];
  send(message: unknown): void;
}

export function fakeClient(
  hub: ClientHub,
  tokenName: string,
  options: { trust?: TrustLevel; address?: string; name?: string; ownKey?: OwnKey } = {},
): FakeClient {
  const received: ServerMessage[] = [];
  let closed: string | undefined;
  const session = hub.open(
    {
      name: options.name ?? tokenName,
      tokenName,
      trust: options.trust ?? "new",
      address: options.address ?? "192.0.2.1",
      ...(options.ownKey ? { ownKey: options.ownKey } : {}),
    },
    { send: (text) => received.push(JSON.parse(text)), close: (_code, reason) => (closed = reason) },
  )!;
  return {
    session,
    received,
    closed: () => closed,
    rates: () => received.filter((m) => m.type === "rate"),
    work: () => received.flatMap((m) => (m.type === "work" ? m.batches : [])),
    send: (message) => hub.message(session, JSON.stringify(message)),
  };
}

export function crawling(config = testConfig(), options: { random?: () => number } = {}) {
  // The harness's own clock: drive() moves it a second a round, so answers come at a pace.
  const clock = { ms: Date.parse("2026-01-01T12:00:00Z") };
  const now = () => clock.ms;
  const hub = new ClientHub(config, () => {});
  const plan = new WorkPlan(config.ranges);
  const book = new LeaseBook(plan, [], now);
  const suspended: { token: string; reason: string }[] = [];
  const failed: { batch: Batch; reason: string }[] = [];
  const log: string[] = [];
  const provenance = new Provenance(plan.total);
  const crawl = new Crawl({
    date: "2026-01-01",
    book,
    config,
    log: (line) => log.push(line),
    known: new KnownAccounts(plan.total),
    trust: new TrustBook({ ...config.verification, random: options.random ?? (() => 0.99) }),
    provenance,
    errors: new RunErrors(),
    suspend: (token, reason) => {
      suspended.push({ token, reason });
      hub.dropTokenName(token, `token suspended: ${reason}`);
    },
    recordFailed: (batch, reason) => failed.push({ batch, reason }),
    recordChecked: () => {},
    now,
    random: options.random,
  });
  const sink = new HeldSink();
  crawl.connect(sink);
  hub.setWork(crawl);
  /** The helpers wrote job `n` (1-based) completely. */
  const commit = (n: number) => {
    const job = sink.jobs[n - 1]!;
    sink.markWritten();
    crawl.poolEvents.written(n, { rows: job.players.accountId.length, ms: 1, suspects: [], rejected: [] });
  };
  return { hub, book, crawl, sink, commit, suspended, failed, log, provenance, clock };
}

/** A plausible row for account `id`. */
export function row(id: number, battles = 10, nickname = `p${id}-x`): PlayerRow {
  return [id, nickname, 1_400_000_000, 1_700_000_000, 1_700_000_100, battles, 5, Math.floor(battles / 2), 1000, 7, 3];
}

/** What a simulated client answers for a batch: rows, a failure, or nothing (it holds the batch). */
export type Behaviour = (batch: Batch) => PlayerRow[] | { fail: string } | undefined;

/**
 * Plays the clients against the crawl until it completes: every round each
 * client answers every batch leased to it (by its behaviour), then the crawl
 * ticks and the helpers write whatever was submitted. Returns the rounds run.
 */
export function drive(harness: ReturnType<typeof crawling>, players: { client: FakeClient; behave: Behaviour }[], maxRounds = 200): number {
  const { crawl, book, sink, commit } = harness;
  let committed = 0;
  for (let round = 1; round <= maxRounds; round++) {
    for (const { client, behave } of players) {
      if (client.closed()) continue;
      const leased = new Map(client.work().map((b) => [b.id, b]));
      for (const batch of leased.values()) {
        if (book.leaseOf(batch.id)?.holder !== client.session.id) continue;
        const reply = behave(batch);
        if (reply === undefined) continue;
        if ("fail" in reply) client.send({ type: "failed", id: batch.id, reason: reply.fail });
        else client.send({ type: "result", id: batch.id, rows: reply });
      }
    }
    harness.clock.ms += 1_000;
    crawl.tick();
    while (committed < sink.jobs.length) commit(++committed);
    if (crawl.state === "complete") return round;
  }
  return maxRounds;
}

/** The rows last written for each batch start, from the sink's jobs in order (what the database would hold). */
export function lastWritten(sink: HeldSink): Map<number, { rows: number[][]; answeredBy: string | null | undefined; checkState: string | null | undefined; checkedBy: string | null | undefined; repair: boolean }> {
  const out = new Map();
  for (const job of sink.jobs) {
    for (const b of job.batches) {
      const rows: number[][] = [];
      job.players.accountId.forEach((id, i) => {
        if (id >= b.start && id < b.end) rows.push([id, job.players.battles[i]!, job.players.wins[i]!]);
      });
      out.set(b.start, { rows, answeredBy: b.answeredBy, checkState: b.checkState, checkedBy: b.checkedBy, repair: "repair" in job });
    }
  }
  return out;
}
