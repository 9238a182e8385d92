/** `GET /metrics`: Prometheus text format. Counts only (like /api/status), so it needs no token. */
import { Hono } from "hono";

export function metricsRoute(deps: { metrics(): Promise<{ text: string; contentType: string }> }) {
  return new Hono().get("/metrics", async (c) => {
    const { text, contentType } = await deps.metrics();
    return c.body(text, 200, { "content-type": contentType });
  });
}
