/**
 * A tiny reverse proxy, as an operator would put nginx or Caddy in front of
 * the tracker: HTTP and WebSocket requests go on to `upstream` with the
 * peer's address appended to X-Forwarded-For (the proxy's default way), and
 * the client's Host kept.
 */
import type { ServerWebSocket } from "bun";

interface Tunnel {
  upstream: WebSocket;
  queue: (string | ArrayBuffer | Uint8Array)[];
}

export interface ReverseProxy {
  url: string;
  stop(): void;
}

export function startReverseProxy(upstream: string, hostname = "127.0.0.1"): ReverseProxy {
  const server = Bun.serve<Tunnel>({
    hostname,
    port: 0,
    async fetch(request, self) {
      const peer = self.requestIP(request)?.address ?? "unknown";
      const url = new URL(request.url);
      const target = `${upstream}${url.pathname}${url.search}`;
      const headers = new Headers(request.headers);
      const forwarded = headers.get("x-forwarded-for");
      headers.set("x-forwarded-for", forwarded ? `${forwarded}, ${peer}` : peer);
      if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
        const socketHeaders: Record<string, string> = { "x-forwarded-for": headers.get("x-forwarded-for")! };
        const authorization = headers.get("authorization");
        if (authorization) socketHeaders.authorization = authorization;
        const tunnel: Tunnel = { upstream: new WebSocket(target.replace(/^http/, "ws"), { headers: socketHeaders } as never), queue: [] };
        if (self.upgrade(request, { data: tunnel })) return undefined;
        tunnel.upstream.close();
        return new Response("upgrade failed", { status: 400 });
      }
      headers.delete("connection");
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      const answer = await fetch(target, { method: request.method, headers, body, redirect: "manual" });
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    },
    websocket: {
      open(ws: ServerWebSocket<Tunnel>) {
        const { upstream } = ws.data;
        upstream.binaryType = "arraybuffer";
        upstream.addEventListener("open", () => {
          for (const message of ws.data.queue.splice(0)) upstream.send(message);
        });
        upstream.addEventListener("message", (event) => ws.send(event.data as string | ArrayBuffer));
        // 1005/1006 cannot be sent in a close frame: the upstream went away, say so
        upstream.addEventListener("close", (event) => ws.close(event.code === 1005 || event.code === 1006 ? 1011 : event.code, event.reason));
      },
      message(ws: ServerWebSocket<Tunnel>, message) {
        const { upstream, queue } = ws.data;
        if (upstream.readyState === WebSocket.OPEN) upstream.send(message);
        else queue.push(message);
      },
      close(ws: ServerWebSocket<Tunnel>, code, reason) {
        ws.data.upstream.close(code === 1005 || code === 1006 ? 1000 : code, reason);
      },
    },
  });
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return { url: `http://${host}:${server.port}`, stop: () => server.stop(true) };
}

/** IPv6 loopback is there (some containers have none). */
export function ipv6Loopback(): boolean {
  try {
    const probe = Bun.serve({ hostname: "::1", port: 0, fetch: () => new Response() });
    probe.stop(true);
    return true;
  } catch {
    return false;
  }
}
