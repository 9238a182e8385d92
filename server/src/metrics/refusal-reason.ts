/**
 * The `reason` label of refused results: a fixed, small set (a label's values
 * must stay few for Prometheus), read from the error a client was sent. A
 * message we do not recognise is "other", never its text.
 */
export const REFUSAL_REASONS = ["not_leased", "already_answered", "outside_batch", "duplicate_account", "unstorable", "too_fast", "too_many_failures", "no_crawl", "other"] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

const RULES: readonly [RegExp, RefusalReason][] = [
  [/is not leased to you/, "not_leased"],
  [/was already answered/, "already_answered"],
  [/outside \[/, "outside_batch"],
  [/ twice$/, "duplicate_account"],
  [/ is over \d+|NUL character/, "unstorable"],
  [/faster than a rate share/, "too_fast"],
  [/failed batches in a minute/, "too_many_failures"],
  [/no crawl is running|not working on the crawl/, "no_crawl"],
];

export function refusalReason(error: string): RefusalReason {
  for (const [pattern, reason] of RULES) if (pattern.test(error)) return reason;
  return "other";
}
