/** Starts the app on Bun's HTTP server with the WebSocket handler and its limits. */
import { websocket } from "hono/bun";
import type { Hono } from "hono";
import type { ServerConfig } from "@wotc/schema/config";
import { MAX_MESSAGE_BYTES } from "@wotc/schema/wire/messages";
import { readFileSync } from "node:fs";

/**
 * Frames up to this size reach the hub, which answers an oversized one with an
 * error and a strike; anything larger is cut off by Bun itself (close 1009)
 * before it is buffered.
 */
export const MAX_FRAME_BYTES = 4 * MAX_MESSAGE_BYTES;

export function startHttpServer(config: ServerConfig, app: Hono) {
  const { cert, key } = config.tls;
  const server = Bun.serve({
    hostname: config.server.host,
    port: config.server.port,
    fetch: app.fetch,
    // Idle HTTP connections (and slow senders) are closed after this many seconds.
    idleTimeout: 30,
    tls: cert && key ? { cert: readPem(cert, "tls.cert"), key: readPem(key, "tls.key") } : undefined,
    websocket: { ...websocket, maxPayloadLength: MAX_FRAME_BYTES, idleTimeout: 120 },
  });
  const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  return { server, url: `${cert ? "https" : "http"}://${host}:${server.port}` };
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`config ${key}: cannot read ${path}: ${(error as Error).message}`);
  }
}
