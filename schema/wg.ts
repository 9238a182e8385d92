/**
 * The Wargaming `account/info` response, as documented in
 * shared/reference/wg-api.md. Clients parse every answer through this schema so
 * that an HTML page, a truncated body or a wrong type is retried, never written.
 */
import * as v from "valibot";

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const unixSeconds = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 32));

export const WgAllStatistics = v.object({
  battles: count,
  spotted: count,
  wins: count,
  damage_dealt: count,
  frags: count,
  dropped_capture_points: count,
});

export const WgPlayer = v.object({
  account_id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  nickname: v.pipe(v.string(), v.maxLength(64)),
  created_at: unixSeconds,
  // null for accounts that never played a battle
  last_battle_time: v.nullable(unixSeconds),
  updated_at: unixSeconds,
  statistics: v.object({ all: WgAllStatistics }),
});
export type WgPlayer = v.InferOutput<typeof WgPlayer>;

export const WgError = v.object({
  code: v.number(),
  message: v.string(),
  field: v.nullish(v.string()),
  value: v.nullish(v.string()),
});
export type WgError = v.InferOutput<typeof WgError>;

export const WgAccountInfoResponse = v.variant("status", [
  v.object({
    status: v.literal("ok"),
    meta: v.optional(v.object({ count: v.number() })),
    data: v.record(v.pipe(v.string(), v.regex(/^\d+$/)), v.nullable(WgPlayer)),
  }),
  v.object({ status: v.literal("error"), error: WgError }),
]);
export type WgAccountInfoResponse = v.InferOutput<typeof WgAccountInfoResponse>;

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
