/**
 * A volunteer's own WG key: what the server is told instead of it, and what
 * the volunteer is told when WG refuses it. The key itself is never printed
 * or sent anywhere but to WG.
 */
import { ownKeyHash, type OwnKey } from "@wotc/schema/wire/register";
import type { OwnKeyArgs } from "./config";

/** WG's answers that mean the key itself is refused: no retry and no other batch can help. */
export const KEY_REFUSALS: Record<string, string> = {
  INVALID_APPLICATION_ID:
    "WG does not know this application id. Check the value you gave (--application-id-file, --application-id or WOTC_APPLICATION_ID): " +
    "copy it again from https://developers.wargaming.net/applications/",
  APPLICATION_IS_BLOCKED:
    "WG has blocked this application id. See its page at https://developers.wargaming.net/applications/; " +
    "until it is unblocked, run the client with another key of yours, or without one if the tracker has keys of its own",
  INVALID_IP_ADDRESS:
    "this is a Server-type application id, and WG does not accept it from this machine's public IP address. " +
    "Add the address to the application at https://developers.wargaming.net/applications/, " +
    "or create a Mobile (standalone) application, whose id works from any address",
};

/** What the client tells the server about its key: the hash and the rate, never the key. */
export function ownKeyClaim(args: OwnKeyArgs): OwnKey {
  return { hash: ownKeyHash(args.applicationId), rps: args.rps, per: args.per };
}

/** `your own WG key (9f2c81d0… as the server knows it), 10 req/s per key` */
export function describeOwnKey(args: OwnKeyArgs): string {
  return `your own WG key (${ownKeyHash(args.applicationId).slice(0, 8)}… as the server knows it), ${args.rps} req/s per ${args.per}`;
}

/** The volunteer's message for WG's refusal `error` (one of KEY_REFUSALS). */
export function keyRefusedMessage(error: string): string {
  return `WG refused your application id (${error}): ${KEY_REFUSALS[error] ?? "see https://developers.wargaming.net/applications/"}. Your unfinished batches went back to the server.`;
}
