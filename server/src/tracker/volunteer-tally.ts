/**
 * Each volunteer's figures for the day, by client name, as the dashboard's
 * table shows them. A session's counters start at zero on every connection;
 * the tally adds up what each session did while it was seen, so a volunteer
 * who reconnects keeps the day's batches, and one who left stays listed
 * (with "last seen") until the next run date. `lifetime` keeps the same
 * figures since the tracker started, for /metrics' counters.
 *
 * Retries are what the client reports, counted since the client program
 * started: the first report of a session that reconnects under a name seen
 * before is taken as its starting point, not as new retries.
 */
import type { ClientSession } from "../ws/client-session";

export interface VolunteerRow {
  name: string;
  token: string;
  address: string;
  connected: boolean;
  /** Sessions open now under this name. */
  sessions: number;
  connectedSince: number | null;
  lastSeen: number;
  batches: number;
  ids: number;
  /** As the client reports it, summed over its open sessions. */
  idsPerSecond: number;
  /** Requests per second granted (its share of the key); null = no limit. */
  rps: number | null;
  /** That share as a fraction of the key's rate; null when the key has no limit. */
  rateShare: number | null;
  retries: number;
  errors: number;
  /** The token's trust state: new, trusted, operator, or suspended. */
  trust: string | null;
}

interface SessionSeen {
  batches: number;
  ids: number;
  /** -1 until the session's first stats report. */
  retries: number;
  rateLimited: number;
  errors: number;
}

const UNREPORTED = -1;
const HISTORY_DAYS = 30;

type Totals = Pick<VolunteerRow, "name" | "token" | "address" | "lastSeen" | "batches" | "ids" | "retries" | "errors">;

export class VolunteerTally {
  private date: string | undefined;
  private readonly byName = new Map<string, Totals>();
  private readonly seen = new Map<ClientSession, SessionSeen>();
  private readonly namesEverSeen = new Set<string>();
  readonly lifetime = { batches: 0, ids: 0, retries: 0, rateLimited: 0 };
  /** The days before, as far as this tracker saw them (at most HISTORY_DAYS). */
  private readonly pastDays = new Map<string, { name: string; batches: number; ids: number }[]>();

  constructor(
    private readonly keyRps: (keyIndex: number) => number | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds what the sessions did since the last look; a new run date starts the day afresh. */
  observe(date: string | undefined, sessions: Iterable<ClientSession>): void {
    const open = this.accumulate(sessions);
    if (date === undefined || date === this.date) return;
    // What the sessions did up to now belongs to the previous day (and is in lifetime already).
    if (this.date !== undefined) {
      this.pastDays.set(this.date, [...this.byName.values()].map(({ name, batches, ids }) => ({ name, batches, ids })));
      for (const day of [...this.pastDays.keys()].sort().slice(0, -HISTORY_DAYS)) this.pastDays.delete(day);
      this.byName.clear();
    }
    this.date = date;
    for (const session of open) this.totalsFor(session);
  }

  private accumulate(sessions: Iterable<ClientSession>): Set<ClientSession> {
    const now = this.now();
    const open = new Set<ClientSession>();
    for (const session of sessions) {
      open.add(session);
      if (this.seen.has(session)) continue;
      const reconnect = this.namesEverSeen.has(session.name);
      this.namesEverSeen.add(session.name);
      this.seen.set(session, { batches: 0, ids: 0, retries: reconnect ? UNREPORTED : 0, rateLimited: reconnect ? UNREPORTED : 0, errors: 0 });
    }
    for (const [session, seen] of this.seen) {
      const counts = countsOf(session);
      if (seen.retries === UNREPORTED && session.stats) Object.assign(seen, { retries: counts.retries, rateLimited: counts.rateLimited });
      const added = {
        batches: counts.batches - seen.batches,
        ids: counts.ids - seen.ids,
        retries: seen.retries === UNREPORTED ? 0 : Math.max(0, counts.retries - seen.retries),
        rateLimited: seen.rateLimited === UNREPORTED ? 0 : Math.max(0, counts.rateLimited - seen.rateLimited),
      };
      const totals = this.totalsFor(session);
      totals.batches += added.batches;
      totals.ids += added.ids;
      totals.retries += added.retries;
      totals.errors += counts.errors - seen.errors;
      for (const key of ["batches", "ids", "retries", "rateLimited"] as const) this.lifetime[key] += added[key];
      Object.assign(seen, { ...counts, ...(seen.retries === UNREPORTED ? { retries: UNREPORTED, rateLimited: UNREPORTED } : {}) });
      if (open.has(session)) totals.lastSeen = now;
      else this.seen.delete(session);
    }
    return open;
  }

  /** `trustOf`: the trust state the crawl holds for a token (new, trusted, operator, suspended), when there is a crawl: a suspended one has left. */
  rows(sessions: Iterable<ClientSession>, trustOf: (tokenName: string) => string | undefined = () => undefined): VolunteerRow[] {
    const live = new Map<string, ClientSession[]>();
    for (const session of sessions) live.set(session.name, [...(live.get(session.name) ?? []), session]);
    const rows: VolunteerRow[] = [];
    for (const totals of this.byName.values()) {
      const open = live.get(totals.name) ?? [];
      const rps = open.length === 0 ? null : sumOrNull(open.map((s) => s.rps));
      const keyRps = open.length === 0 ? null : this.keyRps(open[0]!.keyIndex);
      const trust = trustOf(totals.token) ?? open[0]?.trust;
      rows.push({
        ...totals,
        address: open[0]?.address ?? totals.address,
        connected: open.length > 0,
        sessions: open.length,
        connectedSince: open.length > 0 ? Math.min(...open.map((s) => s.connectedAt)) : null,
        idsPerSecond: open.reduce((sum, s) => sum + (s.stats?.idsPerSecond ?? 0), 0),
        rps,
        rateShare: rps !== null && keyRps ? rps / keyRps : null,
        trust: (trust as string | undefined) ?? null,
      });
    }
    // Connected first, then by the day's work: the order a volunteer scans for their name.
    return rows.sort((a, b) => Number(b.connected) - Number(a.connected) || b.ids - a.ids || a.name.localeCompare(b.name));
  }

  /** Batches and IDs per name over the days this tracker saw (today included): the leaderboard until the ledger records who answered. */
  leaderboard(): { name: string; batches: number; ids: number; days: number; lastDate: string }[] {
    const byName = new Map<string, { name: string; batches: number; ids: number; days: number; lastDate: string }>();
    const days = [...this.pastDays.entries()];
    if (this.date !== undefined) days.push([this.date, [...this.byName.values()]]);
    for (const [date, rows] of days.sort(([a], [b]) => a.localeCompare(b))) {
      for (const row of rows) {
        if (row.batches === 0) continue;
        const entry = byName.get(row.name) ?? { name: row.name, batches: 0, ids: 0, days: 0, lastDate: date };
        entry.batches += row.batches;
        entry.ids += row.ids;
        entry.days++;
        entry.lastDate = date;
        byName.set(row.name, entry);
      }
    }
    return [...byName.values()].sort((a, b) => b.ids - a.ids || a.name.localeCompare(b.name));
  }

  private totalsFor(session: ClientSession): Totals {
    let totals = this.byName.get(session.name);
    if (!totals) {
      totals = { name: session.name, token: session.tokenName, address: session.address, lastSeen: this.now(), batches: 0, ids: 0, retries: 0, errors: 0 };
      this.byName.set(session.name, totals);
    }
    totals.token = session.tokenName;
    totals.address = session.address;
    return totals;
  }
}

function countsOf(session: ClientSession): SessionSeen {
  return {
    batches: session.batchesAccepted,
    ids: session.idsAccepted,
    retries: session.stats?.retries ?? 0,
    rateLimited: session.stats?.rateLimited ?? 0,
    errors: session.invalidMessages + session.refusedResults + (session.stats?.batchesFailed ?? 0),
  };
}

function sumOrNull(values: (number | null)[]): number | null {
  return values.some((v) => v === null) ? null : values.reduce<number>((sum, v) => sum + v!, 0);
}
