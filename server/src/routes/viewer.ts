/**
 * Who is looking at the dashboard, and who pressed a control (for the log
 * line). Admin is the admin token, or a request from the tracker's own
 * machine when `admin.trustLoopback` is on. Loopback counts only when the
 * request also names a loopback host: a page on another site whose name
 * was re-pointed at 127.0.0.1 (DNS rebinding) reaches us from loopback too,
 * but with its own name in the Host header.
 */
import type { Context } from "hono";
import { isLoopback } from "../access/address-filter";
import { sameToken } from "../access/admin-token";
import { bearerToken, remoteAddress, requestHost } from "./auth";

export interface Viewer {
  admin: boolean;
  /** "admin token (from 203.0.113.7)", "127.0.0.1 (loopback)" or the address. */
  who: string;
}

export interface ViewerPolicy {
  adminToken: string | undefined;
  trustLoopback: boolean;
}

export function viewerOf(c: Context, policy: ViewerPolicy): Viewer {
  const address = remoteAddress(c);
  if (policy.adminToken && sameToken(bearerToken(c), policy.adminToken)) return { admin: true, who: `admin token (from ${address})` };
  if (policy.trustLoopback && isLoopback(address) && isLoopbackHost(requestHost(c))) return { admin: true, who: `${address} (loopback)` };
  return { admin: false, who: address };
}

/** `localhost`, `127.0.0.1:8888`, `[::1]:8888`: a Host header that names this machine. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return name.toLowerCase() === "localhost" || isLoopback(name);
}
