/**
 * The Wargaming `account/info` response, as documented in
 * shared/reference/wg-api.md. Clients check every answer so that an HTML
 * page, a truncated body or a wrong type is retried, never written.
 *
 * valibot checks the envelope (status, meta, error). The entries of `data`
 * are checked and encoded in one pass by `wgPlayerRow` (schema/player-code.ts,
 * generated from PLAYER_FIELDS' `wg` paths): a valibot schema over all 100
 * player objects was 40% of a client's CPU, and built objects the client then
 * copied into rows anyway.
 */
import * as v from "valibot";

export const WgError = v.object({
  code: v.number(),
  message: v.string(),
  field: v.nullish(v.string()),
  value: v.nullish(v.string()),
});
export type WgError = v.InferOutput<typeof WgError>;

/** Account ID (decimal string) → player object, or null when no such account exists. */
const WgData = v.custom<Record<string, unknown>>(
  (input) => typeof input === "object" && input !== null && !Array.isArray(input),
  (issue) => `Invalid type: Expected Object but received ${issue.received}`,
);

export const WgAccountInfoEnvelope = v.variant("status", [
  v.object({
    status: v.literal("ok"),
    meta: v.optional(v.object({ count: v.number() })),
    data: WgData,
  }),
  v.object({ status: v.literal("error"), error: WgError }),
]);
export type WgAccountInfoEnvelope = v.InferOutput<typeof WgAccountInfoEnvelope>;

/** The keys of `data`: account IDs in decimal. */
export const WG_ACCOUNT_KEY = /^\d+$/;

/** Error messages that mean "try again later", not "this request is wrong". */
export const RETRYABLE_WG_ERRORS = new Set(["REQUEST_LIMIT_EXCEEDED", "SOURCE_NOT_AVAILABLE"]);

/**
 * WG keys are 32 hex digits. Shorter ids are test keys and stay readable:
 * replacing a one-letter test key would garble every line.
 */
const MIN_REDACTED_LENGTH = 8;

/**
 * Takes application ids out of a line that may be logged or sent on: WG's
 * INVALID_APPLICATION_ID answer echoes the id in `error.value`, and request
 * URLs carry it. Wargaming's terms forbid revealing an id to third parties,
 * and logs get pasted into bug reports.
 */
export function redactApplicationIds(text: string, ids: Iterable<string>): string {
  let redacted = text;
  for (const id of ids) {
    if (id.length < MIN_REDACTED_LENGTH) continue;
    for (const form of new Set([id, encodeURIComponent(id)])) redacted = redacted.split(form).join("<application_id>");
  }
  return redacted;
}
