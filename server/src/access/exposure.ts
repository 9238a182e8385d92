/**
 * Settings that leave the server open in a way the operator should know
 * about, said at start and shown on `/api/status` (where the dashboard can
 * show them): today, plain HTTP on an address others can reach, which puts
 * client tokens, the WG keys handed to clients and the first client
 * download in clear text on the way.
 */
import type { ServerConfig } from "@wotc/schema/config";
import { isLoopbackHost } from "../routes/viewer";

export function exposureWarnings(config: Pick<ServerConfig, "server" | "tls">): string[] {
  const warnings: string[] = [];
  const tls = config.tls.cert !== null && config.tls.key !== null;
  if (!tls && !isLoopbackHost(config.server.host)) {
    warnings.push(
      `listening on ${config.server.host} without TLS: client tokens, the WG keys sent to clients and client downloads travel in clear text; ` +
        "set tls.cert and tls.key, or listen on 127.0.0.1 behind a TLS proxy (server.trustedProxies)",
    );
  }
  return warnings;
}
