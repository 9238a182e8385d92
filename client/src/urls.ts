/** Server URLs: the operator gives a base (maybe with a path prefix); endpoints hang below it. */

export function endpointUrl(server: string, path: string): string {
  return server.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`);
}

/** The work socket lives on the same host: http becomes ws, https becomes wss. */
export function socketUrl(server: string, path: string): string {
  return endpointUrl(server, path).replace(/^http(s?):/i, (_, s: string) => `ws${s}:`);
}
