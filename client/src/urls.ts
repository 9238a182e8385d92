/** Server URLs: the operator gives a base (maybe with a path prefix); endpoints hang below it. */

export function endpointUrl(server: string, path: string): string {
  return server.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`);
}

/** The work socket lives on the same host: http becomes ws, https becomes wss. */
export function socketUrl(server: string, path: string): string {
  return endpointUrl(server, path).replace(/^http(s?):/i, (_, s: string) => `ws${s}:`);
}

/**
 * A warning when the server is reached over plain HTTP at an address other
 * than this machine: the token (and the WG key the server answers with) can
 * be read on the way. Updates stay safe (they are signature-checked), the
 * rest does not.
 */
export function plainHttpWarning(server: string, ownKey = false): string | undefined {
  const url = new URL(server);
  if (url.protocol !== "http:") return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || /^::ffff:127\./.test(host)) return undefined;
  // A client with its own key gets none from the server, and sends only the key's hash
  const what = ownKey ? "your token travels" : "your token and the WG key the server gives you travel";
  return (
    `talking plain HTTP to ${url.host}: ${what} unencrypted; ` +
    "ask the operator for an https:// address (updates are still signature-checked)"
  );
}
