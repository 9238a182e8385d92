/** `POST /api/register`: the client's token in, its settings out. */
import * as v from "valibot";

/** A volunteer's own WG key counts its requests per key (WG's documented rule) or per public address (standalone keys, in practice). */
export const OWN_KEY_COUNTING = ["key", "address"] as const;
export type OwnKeyCounting = (typeof OWN_KEY_COUNTING)[number];

/** Requests/s a client may say its own key allows: anything above is a typo, not a WG key. */
export const MAX_OWN_KEY_RPS = 1000;

/**
 * What a client bringing its own WG key tells the server. Never the key:
 * Wargaming's terms forbid giving an application id to third parties, and
 * the operator is one. The hash lets the server group the clients that
 * share one key, so they share its rate.
 */
export const OwnKey = v.strictObject({
  /** ownKeyHash(applicationId), 64 lowercase hex digits. */
  hash: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits (the key's SHA-256, never the key)")),
  /** Requests/s the key allows (the client's --rps). */
  rps: v.pipe(v.number(), v.minValue(0.1), v.maxValue(MAX_OWN_KEY_RPS)),
  /** How WG counts that rate: across every address using the key, or per address. */
  per: v.picklist(OWN_KEY_COUNTING),
});
export type OwnKey = v.InferOutput<typeof OwnKey>;

export const RegisterRequest = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.regex(/^[\w.@-]+$/)),
  version: v.optional(v.pipe(v.string(), v.maxLength(64))),
  /** Present when the client queries WG with its own application id. */
  ownKey: v.optional(OwnKey),
});
export type RegisterRequest = v.InferOutput<typeof RegisterRequest>;

export const ClientSettings = v.strictObject({
  name: v.string(),
  /** The operator's key this client uses; absent when it brought its own. */
  applicationId: v.optional(v.string()),
  /** This client's share of its key's requests/s; null means no limit. */
  rps: v.nullable(v.number()),
  /** Batches the server keeps in flight for this client. */
  inFlight: v.number(),
  apiBase: v.string(),
  fields: v.array(v.string()),
  language: v.string(),
  requestTimeoutMs: v.number(),
  maxAttempts: v.number(),
  /** Path of the work socket, relative to the server URL. */
  workPath: v.string(),
});
export type ClientSettings = v.InferOutput<typeof ClientSettings>;

/**
 * The hash a client sends instead of its key. Salted with the project's name
 * so it matches no other system's hash of the same key; a WG key is 128 random
 * bits, so the hash cannot be turned back into it.
 */
export function ownKeyHash(applicationId: string): string {
  return new Bun.CryptoHasher("sha256").update(`wotc-tracker application_id:${applicationId}`).digest("hex");
}
