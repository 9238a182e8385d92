/** Starts the app on Bun's HTTP server with the WebSocket handler and its limits. */
import { websocket } from "hono/bun";
import type { Hono } from "hono";
import type { ServerConfig } from "@wotc/schema/config";
import { MAX_MESSAGE_BYTES } from "@wotc/schema/wire/messages";

export function startHttpServer(config: ServerConfig, app: Hono) {
  const server = Bun.serve({
    hostname: config.server.host,
    port: config.server.port,
    fetch: app.fetch,
    // Frames over the limit are refused by Bun itself before they reach the hub.
    websocket: { ...websocket, maxPayloadLength: MAX_MESSAGE_BYTES, idleTimeout: 120 },
  });
  return { server, url: `http://${server.hostname}:${server.port}` };
}
