/**
 * Settling a batch from its answers, BOINC-style: an answer stands when a
 * client of another token gave exactly the same one. Every answer that
 * disagrees with the standing one is judged: a stale or fresher view of the
 * same accounts (real play between the queries) costs nothing; anything else
 * is a lie.
 *
 * Collusion: two strangers who give the same false answer vouch for each
 * other, as in any replication scheme; two groups of strangers that
 * contradict each other settle nothing. What breaks a tie of strangers is a
 * token the operator trusts (its answer settles a case alone), and checkers
 * are drawn at random (verifier.ts), so liars cannot choose to check each
 * other. An operator who opens the tracker to strangers should run one
 * trusted client of their own.
 */
import { relate, type Answer } from "./answer";

export interface OddAnswer {
  answer: Answer;
  /**
   * true: no play explains it; false: stale or fresher, not a lie;
   * undefined: an answer known only by its hash (committed before, rows in the
   * database) — the repair that writes the winner judges it against the rows.
   */
  lie: boolean | undefined;
  why: string;
}

export type Verdict =
  | {
      kind: "settled";
      /** The answer to write (one with rows). */
      winner: Answer;
      /** The tokens whose answers were exactly the winner. */
      agreeing: string[];
      odd: OddAnswer[];
    }
  /** No two tokens agree yet: ask another client. */
  | { kind: "open" };

/**
 * `operator` names the tokens the operator marked trusted: their answer
 * settles a case alone (the operator's own machine is not a stranger). Any
 * other answer stands only when a client of another token gave the same one,
 * and no other group of two or more tokens says otherwise (then nothing is
 * settled: two groups of strangers contradict each other, and more answers
 * are needed).
 */
export function settle(answers: readonly Answer[], isOperator: (token: string) => boolean = () => false): Verdict {
  const groups = new Map<string, Answer[]>();
  for (const answer of answers) {
    const group = groups.get(answer.hash);
    if (group) group.push(answer);
    else groups.set(answer.hash, [answer]);
  }
  const operatorGroups = [...groups.values()].filter((g) => g.some((a) => isOperator(a.token)));
  let best: Answer[] | undefined;
  if (operatorGroups.length === 1) best = operatorGroups[0];
  else if (operatorGroups.length === 0) {
    const agreeing = [...groups.values()].filter((g) => distinctTokens(g) >= 2).sort((x, y) => distinctTokens(y) - distinctTokens(x));
    if (agreeing.length === 1 || (agreeing.length > 1 && distinctTokens(agreeing[0]!) > distinctTokens(agreeing[1]!))) best = agreeing[0];
  }
  if (!best) return { kind: "open" };
  const winner = best.find((a) => a.rows) ?? best[0]!;
  const odd = answers.filter((a) => a.hash !== winner.hash).map((a) => judge(a, best));
  return { kind: "settled", winner, agreeing: [...new Set(best.map((a) => a.token))], odd };
}

/** An answer against the group that outvoted it, in time order. */
function judge(answer: Answer, group: readonly Answer[]): OddAnswer {
  if (!answer.rows) return { answer, lie: undefined, why: "its committed answer differs from two agreeing clients" };
  const withRows = group.filter((a) => a.rows);
  const first = withRows.reduce((x, y) => (y.leasedAt < x.leasedAt ? y : x));
  const last = withRows.reduce((x, y) => (y.receivedAt > x.receivedAt ? y : x));
  const before = answer.receivedAt <= first.leasedAt;
  const after = answer.leasedAt >= last.receivedAt;
  // Before the group: the group may be ahead of it. After: it may be ahead of the group.
  // Overlapping in time: either way round may be real.
  const relations = [];
  if (!after) relations.push(relate(answer, last));
  if (!before) relations.push(relate(first, answer));
  for (const r of relations) if (r.kind !== "unexplained") return { answer, lie: false, why: "a stale or fresher view of the same accounts" };
  const reason = relations.find((r) => r.kind === "unexplained");
  return { answer, lie: true, why: reason && reason.kind === "unexplained" ? reason.why : "differs from two agreeing clients" };
}

export function distinctTokens(answers: readonly Answer[]): number {
  return new Set(answers.map((a) => a.token)).size;
}
