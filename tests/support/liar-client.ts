/**
 * A dishonest volunteer, for the trust tests: it registers and speaks the
 * work protocol like the real client (it uses the client's own session and
 * WG caller), but changes what it sends back.
 *
 *   bun tests/support/liar-client.ts --server URL --token TOKEN --name NAME --lie KIND
 *
 * KIND:
 *   inflate    queries WG at its rate share, adds 7 battles and 7 wins to every player
 *   empty      queries WG at its rate share, answers every batch with no players
 *   invent     queries WG, adds a made-up player for every free ID of the batch
 *   decrease   queries WG, takes 3 battles off every player that has some
 *   fast       never asks WG: answers every batch at once with a made-up player for every third ID
 *   sometimes  queries WG, adds 5 battles (and 5 wins) to every player of one batch in ten
 *
 * Each kind lies differently: two liars giving the same false answer would
 * vouch for each other (see the note on collusion in verify/verdict.ts).
 * (A liar that lies only when it checks another client's answer cannot exist here: nothing
 * tells a client which of its batches are checks. tests/unit/verification.test.ts covers it.)
 *
 * Exit codes: 0 the run ended, 3 it was dropped (found out), 1 it was refused at register.
 */
import { parseArgs } from "node:util";
import { PLAYER_FIELDS, type PlayerRow } from "@wotc/schema/player";
import { encodePlayer } from "../../client/src/encode";
import { register, RegistrationRefused } from "../../client/src/register";
import { RateLimiter } from "../../client/src/rate-limiter";
import { Session } from "../../client/src/session";
import { ClientCounters } from "../../client/src/stats";
import { socketUrl } from "../../client/src/urls";
import { WgCaller, type WgOutcome } from "../../client/src/wg";
import { consoleLogger } from "../../client/src/log";

export const LIES = ["inflate", "empty", "invent", "decrease", "fast", "sometimes"] as const;
export type Lie = (typeof LIES)[number];

/** Positions in a row (schema/player.ts). */
const position = (name: string) => PLAYER_FIELDS.findIndex((f) => f.name === name);
const ACCOUNT = position("accountId");
const BATTLES = position("battles");
const WINS = position("wins");

function lied(kind: Lie, ids: readonly number[], rows: PlayerRow[], batchNumber: number): PlayerRow[] {
  const plus = (row: PlayerRow, n: number): PlayerRow => {
    const changed = [...row] as PlayerRow;
    (changed[BATTLES] as number) += n;
    (changed[WINS] as number) += n;
    return changed;
  };
  switch (kind) {
    case "inflate":
      return rows.map((row) => plus(row, 7));
    case "empty":
      return [];
    case "fast":
      return ids.filter((id) => id % 3 === 0).map((id) => madeUp(id, 5));
    case "invent": {
      const taken = new Set(rows.map((row) => row[ACCOUNT]));
      const made = ids.filter((id) => !taken.has(id)).map((id) => madeUp(id, 42));
      return [...rows, ...made].sort((a, b) => (a[ACCOUNT] as number) - (b[ACCOUNT] as number));
    }
    case "decrease":
      return rows.map((row) => {
        if ((row[BATTLES] as number) < 3) return row;
        const changed = [...row] as PlayerRow;
        (changed[BATTLES] as number) -= 3;
        return changed;
      });
    case "sometimes":
      return batchNumber % 10 === 9 ? rows.map((row) => plus(row, 5)) : rows;
  }
}

function madeUp(id: number, battles: number): PlayerRow {
  return encodePlayer({
    account_id: id,
    nickname: `Invented${id}-x`,
    created_at: 1_500_000_000,
    last_battle_time: 1_600_000_000,
    updated_at: 1_600_000_100,
    statistics: { all: { battles, spotted: 10, wins: Math.floor(battles / 2), damage_dealt: 30_000, frags: 30, dropped_capture_points: 5 } },
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { server: { type: "string" }, token: { type: "string" }, name: { type: "string" }, lie: { type: "string" } },
  });
  const kind = values.lie as Lie;
  if (!values.server || !values.token || !LIES.includes(kind)) {
    console.error(`usage: liar-client --server URL --token TOKEN --name NAME --lie ${LIES.join("|")}`);
    return 2;
  }
  const log = consoleLogger;
  let settings;
  try {
    settings = await register({ server: values.server, token: values.token, request: { name: values.name ?? `liar-${kind}` } });
  } catch (error) {
    if (error instanceof RegistrationRefused) {
      log.error(error.message);
      return 1;
    }
    throw error;
  }
  const counters = new ClientCounters();
  const limiter = new RateLimiter(settings.rps, settings.inFlight);
  // The liars use the operator's key (the trust tests do not bring their own)
  const honest = new WgCaller({ settings: { ...settings, applicationId: settings.applicationId ?? "" }, limiter, counters });
  let batchNumber = 0;
  const caller = {
    async fetchAccounts(ids: readonly number[], signal?: AbortSignal): Promise<WgOutcome> {
      const n = batchNumber++;
      if (kind === "fast") return { kind: "ok", rows: lied(kind, ids, [], n), strays: [], attempts: 0 };
      const outcome = await honest.fetchAccounts(ids, signal);
      if (outcome.kind !== "ok") return outcome;
      return { ...outcome, rows: lied(kind, ids, outcome.rows, n) };
    },
  };
  const session = new Session({ url: socketUrl(values.server, settings.workPath), token: values.token, caller, limiter, counters, log });
  const end = await session.run();
  log.info(`liar ${kind}: session ended: ${JSON.stringify(end)}`);
  return end.kind === "done" ? 0 : 3;
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
