/** `POST /api/register`: the client's token in, its settings out. */
import * as v from "valibot";

export const RegisterRequest = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.regex(/^[\w.@-]+$/)),
  version: v.optional(v.pipe(v.string(), v.maxLength(64))),
});
export type RegisterRequest = v.InferOutput<typeof RegisterRequest>;

export const ClientSettings = v.strictObject({
  name: v.string(),
  applicationId: v.string(),
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
