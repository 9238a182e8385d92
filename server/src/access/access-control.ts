/**
 * Who may use the server: the address lists, the per-address limits and the
 * admin check, as Hono middleware. Built once from the config; main.ts hands
 * it to createApp, and tests can build as many as they like.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { ServerConfig } from "@wotc/schema/config";
import { remoteAddress } from "../routes/auth";
import { viewerOf } from "../routes/viewer";
import { AddressFilter } from "./address-filter";
import { AddressLimits } from "./address-limits";

/**
 * Whether a request from this machine is admin without the token:
 * `admin.trustLoopback`, and never behind a proxy on this machine, where
 * every request arrives from loopback.
 */
export function loopbackIsAdmin(config: Pick<ServerConfig, "admin"> & { server: Pick<ServerConfig["server"], "trustedProxies"> }): boolean {
  return config.admin.trustLoopback && config.server.trustedProxies.length === 0;
}

export class AccessControl {
  readonly filter: AddressFilter;
  readonly limits: AddressLimits;
  readonly counters = { deniedAddresses: 0, adminRefused: 0 };
  private readonly trustLoopback: boolean;

  constructor(
    config: Pick<ServerConfig, "access" | "admin"> & { server: Pick<ServerConfig["server"], "trustedProxies"> },
    private readonly adminToken: string | undefined,
    now?: () => number,
  ) {
    this.filter = new AddressFilter(config.access.allow, config.access.deny);
    this.limits = new AddressLimits({
      maxConnections: config.access.maxConnectionsPerAddress,
      registerPerMinute: config.access.registerPerMinute,
      failedUpgradesPerMinute: config.access.failedUpgradesPerMinute,
      now,
    });
    this.trustLoopback = loopbackIsAdmin(config);
  }

  /** Refuses addresses outside `access.allow` or inside `access.deny`, before any token lookup. */
  readonly addressGuard: MiddlewareHandler = async (c, next) => {
    const address = remoteAddress(c);
    if (!this.filter.allows(address)) {
      this.counters.deniedAddresses++;
      return c.json({ error: `address ${address} is not allowed to use this server` }, 403);
    }
    await next();
  };

  /** Register requests per address per minute; checked before the token so a flood never reaches the database. */
  readonly registerLimit: MiddlewareHandler = async (c, next) => {
    const address = remoteAddress(c);
    if (!this.limits.tryRegister(address)) {
      const retryAfter = this.limits.retryAfterSeconds(address);
      c.header("retry-after", String(retryAfter));
      return c.json({ error: `too many register requests from ${address}; try again in ${retryAfter} s` }, 429);
    }
    await next();
  };

  /** A cheap early refusal of sockets over the per-address limit (the socket itself is counted on open). */
  readonly connectionLimit: MiddlewareHandler = async (c, next) => {
    const address = remoteAddress(c);
    if (this.limits.atConnectionLimit(address)) {
      this.limits.counters.refusedConnections++;
      return c.json({ error: `too many open connections from ${address}` }, 429);
    }
    await next();
  };

  /**
   * Work-socket requests that were refused (wrong token, no upgrade) count
   * against their address; over `access.failedUpgradesPerMinute` the rest of
   * the minute is answered 429 before the token check, so a flood of bad
   * upgrades costs no database look-ups. Our own 429s do not count, or a
   * flood would never let the window empty.
   */
  readonly failedUpgradeLimit: MiddlewareHandler = async (c, next) => {
    const address = remoteAddress(c);
    if (this.limits.tooManyFailedUpgrades(address)) {
      const retryAfter = this.limits.upgradeRetryAfterSeconds(address);
      c.header("retry-after", String(retryAfter));
      return c.json({ error: `too many refused work-socket requests from ${address}; try again in ${retryAfter} s` }, 429);
    }
    await next();
    if (c.res.status >= 400 && c.res.status !== 429) this.limits.failedUpgrade(address);
  };

  /** The dashboard's rule (routes/viewer.ts): the admin token, or loopback with a loopback Host when trusted. */
  isAdmin(c: Context): boolean {
    return viewerOf(c, { adminToken: this.adminToken, trustLoopback: this.trustLoopback }).admin;
  }

  readonly requireAdmin: MiddlewareHandler = async (c, next) => {
    if (!this.isAdmin(c)) {
      this.counters.adminRefused++;
      return c.json({ error: "admin only: connect from the server's own machine or send Authorization: Bearer <admin token>" }, 401);
    }
    await next();
  };
}
