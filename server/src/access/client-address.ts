/**
 * Whose request is this: the address every access list, per-address limit,
 * key choice and log line uses, worked out once per request (routes/auth.ts
 * `remoteAddress` hands it out).
 *
 * Without `server.trustedProxies` it is the socket's address. With them, a
 * request whose socket comes from a trusted proxy is read through the header
 * the proxies set (`server.forwardedHeader`, only that one: a header the
 * proxy does not touch is the client's to write): from the right, each hop
 * that is itself a trusted proxy is skipped, and the first that is not is the
 * client. Hops further left were written by that client and are not
 * believed. A hop that cannot be read stops the walk at the trusted proxy
 * that reported it.
 *
 * Addresses come out normalised (`::ffff:10.1.2.3` as `10.1.2.3`, no
 * brackets or port), so lists, limits and logs all see one spelling.
 */
import { BlockList, isIP } from "node:net";
import type { ServerConfig } from "@wotc/schema/config";
import { normalizeAddress, toBlockList } from "./address-filter";

export type ForwardedHeader = ServerConfig["server"]["forwardedHeader"];

export class ClientAddressResolver {
  private readonly proxies: BlockList | undefined;
  readonly header: ForwardedHeader;

  constructor(settings: Pick<ServerConfig["server"], "trustedProxies" | "forwardedHeader">) {
    this.proxies = settings.trustedProxies.length > 0 ? toBlockList(settings.trustedProxies, "server.trustedProxies") : undefined;
    this.header = settings.forwardedHeader;
  }

  /** A proxy is configured: then loopback is no longer a sign of the operator (the proxy is on loopback too). */
  get behindProxy(): boolean {
    return this.proxies !== undefined;
  }

  /** `peer`: the socket's address; `forwarded`: the value of the configured header, if any. */
  resolve(peer: string | undefined, forwarded: string | undefined): string {
    const socket = peer === undefined ? undefined : normalizeAddress(peer);
    if (!socket) return "unknown";
    if (!this.isProxy(socket) || !forwarded) return socket;
    const hops = this.header === "forwarded" ? forwardedFor(forwarded) : forwarded.split(",");
    let address = socket;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = readHop(hops[i]!);
      if (!hop) break;
      address = hop;
      if (!this.isProxy(hop)) break;
    }
    return address;
  }

  private isProxy(address: string): boolean {
    return this.proxies !== undefined && this.proxies.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
  }
}

/** The `for=` values of an RFC 7239 `Forwarded` header, in order. */
function forwardedFor(header: string): string[] {
  const found: string[] = [];
  for (const element of header.split(",")) {
    for (const pair of element.split(";")) {
      const [name, ...value] = pair.split("=");
      if (name?.trim().toLowerCase() === "for") found.push(value.join("=").trim().replace(/^"(.*)"$/, "$1"));
    }
  }
  return found;
}

/** `203.0.113.7`, `203.0.113.7:4711`, `[2001:db8::1]:4711`, `2001:db8::1` → the address; `unknown`, `_hidden` → undefined. */
function readHop(text: string): string | undefined {
  let hop = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) hop = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(hop)) hop = hop.slice(0, hop.lastIndexOf(":"));
  return normalizeAddress(hop);
}
