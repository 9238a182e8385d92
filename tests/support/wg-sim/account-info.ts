/**
 * `account/info`: its parameters, its error answers and its success body
 * (wg-api.md §2–4). Pure: the simulator decides keys, rates and faults.
 */
import { type Projection, type ProjectionCache } from "./fields.ts";
import type { WorldDay } from "./world.ts";

export const MAX_ACCOUNT_IDS = 100;
const LANGUAGES = new Set(["en", "ru", "pl", "de", "fr", "es", "tr"]);
const ACCOUNT_ID = /^[0-9]{1,15}$/;

export interface ApiError {
  code: number;
  message: string;
  field: string | null;
  value: string | null;
}

export const apiError = (code: number, message: string, field: string | null = null, value: string | null = null): ApiError => ({
  code,
  message,
  field,
  value,
});

export function errorJson(e: ApiError): string {
  return JSON.stringify({ status: "error", error: { code: e.code, message: e.message, field: e.field, value: e.value } });
}

export interface AccountInfoQuery {
  /** Distinct IDs in the order asked. */
  ids: number[];
  projection: Projection;
}

/**
 * Checks the parameters after the key and the rate passed, in the order of
 * wg-api.md §8.2: account_id missing → too many → malformed → fields → language.
 * Empty list entries (`1,,2`, a trailing comma) are ignored and spaces around
 * entries trimmed; the 100-ID limit counts the entries as sent, repeats included.
 */
export function parseAccountInfo(params: URLSearchParams, projections: ProjectionCache): AccountInfoQuery | ApiError {
  const raw = params.get("account_id");
  const entries = (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (entries.length === 0) return apiError(402, "ACCOUNT_ID_NOT_SPECIFIED", "account_id");
  if (entries.length > MAX_ACCOUNT_IDS) return apiError(407, "ACCOUNT_ID_LIST_LIMIT_EXCEEDED", "account_id");
  const ids: number[] = [];
  const seen = new Set<number>();
  for (const entry of entries) {
    const id = ACCOUNT_ID.test(entry) ? Number(entry) : 0;
    if (id < 1) return apiError(407, "INVALID_ACCOUNT_ID", "account_id", raw);
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  }
  const fields = params.get("fields");
  const projection = projections.get(fields);
  if (typeof projection === "string") return apiError(407, projection, "fields", fields);
  const language = params.get("language");
  if (language !== null && !LANGUAGES.has(language)) return apiError(407, "INVALID_LANGUAGE", "language", language);
  return { ids, projection };
}

/** The success envelope: string keys in the order asked, null for IDs with no account, count includes nulls. */
export function accountInfoJson(world: WorldDay, query: AccountInfoQuery): string {
  const { ids, projection } = query;
  let out = '{"status":"ok","meta":{"count":' + ids.length + '},"data":{';
  for (let i = 0; i < ids.length; i++) {
    const player = world.state(ids[i]);
    out += (i === 0 ? '"' : ',"') + ids[i] + '":' + (player === null ? "null" : projection.write(player));
  }
  return out + "}}";
}
