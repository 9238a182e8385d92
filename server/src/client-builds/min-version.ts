/**
 * `clients.minVersion`: clients older than it are refused at register (HTTP
 * 426) and on the work socket, with the version needed and where to get it.
 * A self-updating client takes the refusal as its cue to update; any other
 * shows the message to its volunteer. The version is what the client says it
 * is: this keeps known-broken builds out, it is no defence against a client
 * that lies (the crawl's checks are).
 */
import type { Context } from "hono";
import type { ServerConfig } from "@wotc/schema/config";
import { CLIENT_TARGETS, isClientTarget } from "@wotc/schema/wire/client-manifest";
import { compareVersions, parseVersion } from "@wotc/schema/wire/client-version";

/** Sent by clients with register, so the refusal can name their download. */
export const TARGET_HEADER = "x-wotc-target";

/** The body of a 426 answer. */
export interface VersionRefusal {
  error: string;
  minVersion: string;
  /** Where the client's build is (`{target}` left in when the client did not say its target). */
  download: string;
}

export function refuseOldClient(
  config: Pick<ServerConfig, "clients" | "server">,
  c: Context,
  version: string | undefined,
): VersionRefusal | undefined {
  const minVersion = config.clients.minVersion;
  if (minVersion === null) return undefined;
  if (version !== undefined && parseVersion(version) && compareVersions(version, minVersion) >= 0) return undefined;
  const target = c.req.header(TARGET_HEADER);
  const download = downloadUrl(config, c, target !== undefined && isClientTarget(target) ? target : "{target}");
  const which = download.includes("{target}") ? ` ({target} is one of ${CLIENT_TARGETS.join(", ")})` : "";
  const self =
    version === undefined
      ? "this client does not say its version"
      : parseVersion(version)
        ? `wotc-client ${version} is too old`
        : `this client's version "${version}" is not one this server can compare`;
  return {
    error: `${self}: this server needs wotc-client ${minVersion} or newer; download it from ${download}${which}`,
    minVersion,
    download,
  };
}

/** `server.publicUrl` when set (behind a proxy the request's own URL is the proxy's), else the URL the request came to. */
export function downloadUrl(config: Pick<ServerConfig, "server">, c: Context, target: string): string {
  const base = config.server.publicUrl ?? new URL(c.req.url).origin;
  return `${base.replace(/\/+$/, "")}/api/client/download/${target}`;
}
