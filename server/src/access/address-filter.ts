/**
 * The `access.allow` / `access.deny` lists: IPv4 and IPv6 addresses and CIDR
 * ranges, matched with node's net.BlockList (no dependency, both families).
 * Deny wins over allow; an empty allow list allows every address not denied.
 */
import { BlockList, isIP } from "node:net";

export class AddressFilter {
  private readonly allowList: BlockList | undefined;
  private readonly denyList: BlockList;

  constructor(allow: readonly string[], deny: readonly string[]) {
    this.allowList = allow.length > 0 ? toBlockList(allow, "access.allow") : undefined;
    this.denyList = toBlockList(deny, "access.deny");
  }

  /** An address we cannot read (no socket) is refused whenever a list is set. */
  allows(address: string): boolean {
    const ip = normalizeAddress(address);
    const family = ip ? familyOf(ip) : undefined;
    if (!ip || !family) return this.allowList === undefined && this.denyList.rules.length === 0;
    if (this.denyList.check(ip, family)) return false;
    return this.allowList === undefined || this.allowList.check(ip, family);
  }
}

/** `::ffff:10.1.2.3` (IPv4 on a dual-stack socket) is matched as `10.1.2.3`; `[::1]` as `::1`. */
export function normalizeAddress(address: string): string | undefined {
  let ip = address.trim();
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  return isIP(ip) === 0 ? undefined : ip;
}

const LOOPBACK = toBlockList(["127.0.0.0/8", "::1/128"], "loopback");

export function isLoopback(address: string): boolean {
  const ip = normalizeAddress(address);
  return ip !== undefined && LOOPBACK.check(ip, familyOf(ip));
}

function familyOf(ip: string): "ipv4" | "ipv6" | undefined {
  const family = isIP(ip);
  return family === 4 ? "ipv4" : family === 6 ? "ipv6" : undefined;
}

/**
 * Rules as a BlockList. A rule written in the IPv4-mapped form
 * (`::ffff:10.0.0.0/104`) becomes its IPv4 rule (`10.0.0.0/8`), since
 * addresses are matched in their IPv4 form.
 */
export function toBlockList(rules: readonly string[], where: string): BlockList {
  const list = new BlockList();
  rules.forEach((rule, index) => {
    let [address = "", prefix] = rule.trim().split("/");
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped && (prefix === undefined || Number(prefix) >= 96)) {
      address = mapped[1]!;
      if (prefix !== undefined) prefix = String(Number(prefix) - 96);
    }
    const family = familyOf(address);
    if (!family) throw new Error(`${where}[${index}]: "${rule}" is not an IPv4/IPv6 address or CIDR range`);
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  });
  return list;
}
