/**
 * The tracker's snapshots as they come (`GET /api/live`, server-sent events).
 * Read with fetch rather than EventSource, which cannot send the admin
 * token's header; reconnects by itself after a lost connection.
 */
import type { DashboardSnapshot } from "../../tracker/dashboard-feed";

export interface LiveFeedHandlers {
  snapshot(snapshot: DashboardSnapshot): void;
  /** The stream opened, or was lost (with why). */
  linked(up: boolean, why?: string): void;
}

const RETRY_MS = 2_000;

export class LiveFeed {
  private controller: AbortController | undefined;

  constructor(
    private readonly headers: () => Record<string, string>,
    private readonly handlers: LiveFeedHandlers,
  ) {}

  /** (Re)connects, e.g. after the admin token changed. */
  restart(): void {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    void this.run(controller.signal);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const response = await fetch("/api/live", { headers: { accept: "text/event-stream", ...this.headers() }, signal, cache: "no-store" });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        this.handlers.linked(true);
        await this.read(response.body, signal);
        if (!signal.aborted) this.handlers.linked(false, "the tracker closed the connection");
      } catch (error) {
        if (signal.aborted) return;
        this.handlers.linked(false, (error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  private async read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data) this.handlers.snapshot(JSON.parse(data) as DashboardSnapshot);
      }
    }
  }
}
