/**
 * Sends a stream of documents to one cluster with the client's bulk helper,
 * and offloads exactly those it did not confirm: documents the cluster
 * rejected (onDrop, after the helper's retries of 429s) and, when a request
 * fails outright (unreachable, refused), every document of the requests in
 * flight and the rest of the stream.
 *
 * Documents handed to the helper but not yet answered are kept by id until
 * their answer comes, so memory is bounded by what is in flight
 * ((concurrency + 1) x flushBytes), never the whole stream.
 */
import type { Client } from "@elastic/elasticsearch";
import type { OutgoingDocument } from "./documents";
import type { OffloadWriter } from "./offload";

export interface SendOptions {
  flushBytes: number;
  concurrency: number;
  /** Retries of documents answered 429 before they count as rejected. */
  retries: number;
  /** ms between those retries */
  retryWaitMs: number;
}

export interface SendOutcome {
  indexed: number;
  offloaded: number;
  /** Why the cluster could not be used at all (the rest of the stream was offloaded). */
  unreachable?: string;
  /** The first reason the cluster gave for rejecting a document. */
  rejected?: string;
}

/** Documents in flight, by id; an id can repeat (a player offloaded on two days), answers come back in order per id. */
class InFlight {
  private readonly byId = new Map<string, OutgoingDocument[]>();

  add(document: OutgoingDocument): void {
    const list = this.byId.get(document.id);
    if (list) list.push(document);
    else this.byId.set(document.id, [document]);
  }

  take(id: string): OutgoingDocument | undefined {
    const list = this.byId.get(id);
    if (!list) return undefined;
    const document = list.shift();
    if (list.length === 0) this.byId.delete(id);
    return document;
  }

  *drain(): Generator<OutgoingDocument> {
    for (const list of this.byId.values()) yield* list;
    this.byId.clear();
  }
}

export async function sendDocuments(
  client: Client,
  documents: AsyncIterable<OutgoingDocument>,
  offload: OffloadWriter,
  options: SendOptions,
): Promise<SendOutcome> {
  const source = documents[Symbol.asyncIterator]();
  const inFlight = new InFlight();
  const outcome: SendOutcome = { indexed: 0, offloaded: 0 };
  let sourceError: unknown;
  // No return(): when the helper stops early it must not close the cursor; the rest is offloaded from it.
  const datasource = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        try {
          const next = await source.next();
          if (!next.done) inFlight.add(next.value);
          return next;
        } catch (error) {
          sourceError = error;
          throw error;
        }
      },
    }),
  };
  const offloadOne = (document: OutgoingDocument | undefined) => {
    if (!document) return;
    offload.add(document);
    outcome.offloaded++;
  };

  try {
    await client.helpers.bulk<OutgoingDocument>({
      // typed as an AsyncIterator, but the helper iterates it with for await: an AsyncIterable is what it takes
      datasource: datasource as never,
      onDocument: (document) => [{ index: { _index: document.index, _id: document.id } }, document.source],
      onSuccess: ({ result }) => {
        const item = Object.values(result)[0] as { _id?: string } | undefined;
        if (item?._id !== undefined && inFlight.take(item._id)) outcome.indexed++;
      },
      onDrop: (drop) => {
        const id = (Object.values(drop.operation)[0] as { _id?: string } | undefined)?._id;
        outcome.rejected ??= `${drop.status}${drop.error ? ` ${drop.error.type}: ${drop.error.reason}` : " (too many requests, retries used up)"}`;
        offloadOne(id === undefined ? undefined : inFlight.take(id));
      },
      flushBytes: options.flushBytes,
      concurrency: options.concurrency,
      retries: options.retries,
      wait: options.retryWaitMs,
      refreshOnCompletion: false,
    });
  } catch (error) {
    if (sourceError === undefined) outcome.unreachable = describeRequestError(error);
  }
  // Whatever was handed over without an answer, then the rest of the stream.
  for (const document of inFlight.drain()) offloadOne(document);
  if (sourceError !== undefined) {
    await offload.flush();
    throw sourceError;
  }
  if (outcome.unreachable !== undefined) {
    for (let next = await source.next(); !next.done; next = await source.next()) {
      offloadOne(next.value);
      if (outcome.offloaded % 10_000 === 0) await offload.flush();
    }
  }
  await offload.flush();
  return outcome;
}

/** Offloads a whole stream without trying the cluster (it already failed in this sync). */
export async function offloadAll(documents: AsyncIterable<OutgoingDocument>, offload: OffloadWriter): Promise<number> {
  let count = 0;
  for await (const document of documents) {
    offload.add(document);
    if (++count % 10_000 === 0) await offload.flush();
  }
  await offload.flush();
  return count;
}

/** "connection refused (ConnectionError)", "HTTP 503 unavailable_shards_exception: ...". */
export function describeRequestError(error: unknown): string {
  const e = error as { name?: string; message?: string; meta?: { statusCode?: number; body?: any } };
  const status = e.meta?.statusCode;
  const body = e.meta?.body;
  if (status && body?.error?.type) return `HTTP ${status} ${body.error.type}: ${body.error.reason ?? ""}`.trim();
  if (status) return `HTTP ${status}`;
  return `${e.message ?? String(error)}${e.name && e.name !== "Error" ? ` (${e.name})` : ""}`;
}
