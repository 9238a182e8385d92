/**
 * The Elasticsearch sync after a run: for each configured cluster, first the
 * documents offloaded by earlier syncs, then the run date's total_battles,
 * diff_battles and changed players, bulk-indexed with the client's helper
 * and streamed from database cursors. What a cluster does not take goes to
 * its offload file (see offload.ts) for the next sync.
 */
import { Client, HttpConnection } from "@elastic/elasticsearch";
import { join } from "node:path";
import type { ServerConfig } from "@wotc/schema/config";
import type { Sql } from "../db/client";
import { dayDocuments, type OutgoingDocument } from "./documents";
import { DOCUMENT_KINDS, MAPPINGS, indexNamesFor, type DocumentKind } from "./indices";
import { OffloadStore, readOffloadFile, type OffloadWriter } from "./offload";
import { describeRequestError, offloadAll, sendDocuments } from "./bulk-send";

export type ElasticCluster = ServerConfig["elasticsearch"][number];

export interface ClusterSyncReport {
  cluster: string;
  date: string;
  /** The run date's documents the cluster took, by kind. */
  indexed: Record<DocumentKind, number>;
  /** Documents from earlier offload files the cluster took now. */
  fromOffload: number;
  /** Documents written to the offload file for the next sync. */
  offloaded: number;
  offloadPath: string;
  seconds: number;
  /** The cluster could not be used (unreachable, or refused a whole request); the rest was offloaded. */
  unreachable?: string;
  /** The first reason the cluster gave for rejecting a document. */
  rejected?: string;
  /** Disk trouble with the offload files: `lost` documents were neither indexed nor saved. */
  offloadError?: string;
  lost: number;
  /** Reading the day's rows failed: the sync of this cluster is incomplete. */
  error?: string;
  /** Unreadable lines skipped in offload files (a write cut short by a crash). */
  badOffloadLines: number;
}

export interface ElasticSyncDeps {
  sql: Sql;
  clusters: readonly ElasticCluster[];
  /** config server.dataDir: offload files go to `<dataDir>/es-offload/`. */
  dataDir: string;
  log: (line: string) => void;
}

export function clusterName(cluster: ElasticCluster): string {
  if (cluster.name) return cluster.name;
  const url = new URL(cluster.url);
  return `${url.hostname}-${url.port || (url.protocol === "https:" ? "443" : "9200")}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/** Syncs the run date into every cluster, one after the other; never throws for a cluster's trouble, it is in the report. */
export async function syncElasticsearch(deps: ElasticSyncDeps, date: string): Promise<ClusterSyncReport[]> {
  const reports: ClusterSyncReport[] = [];
  for (const cluster of deps.clusters) {
    const report = await syncCluster(deps, cluster, date);
    deps.log(describeClusterSync(report));
    reports.push(report);
  }
  return reports;
}

export async function syncCluster(deps: ElasticSyncDeps, cluster: ElasticCluster, date: string): Promise<ClusterSyncReport> {
  const started = performance.now();
  const name = clusterName(cluster);
  const store = new OffloadStore(join(deps.dataDir, "es-offload"), name);
  const report: ClusterSyncReport = {
    cluster: name,
    date,
    indexed: { totalBattles: 0, diffBattles: 0, players: 0 },
    fromOffload: 0,
    offloaded: 0,
    offloadPath: store.path,
    seconds: 0,
    lost: 0,
    badOffloadLines: 0,
  };
  const client = new Client({
    node: cluster.url,
    auth: cluster.auth,
    requestTimeout: cluster.requestTimeoutMs,
    maxRetries: cluster.maxRetries,
    // The default UndiciConnection gets no response object from Bun's undici stand-in; node:http works.
    Connection: HttpConnection,
  });
  const writer = store.writer();
  let pending: string[] = [];
  let keepPending = false;
  try {
    pending = await store.takePending();
  } catch (error) {
    report.offloadError = (error as Error).message;
  }
  const onBadLine = () => report.badOffloadLines++;
  const dayIndices = indexNamesFor(cluster.indices, date);

  let down: string | undefined;
  try {
    const indices = new Map<string, DocumentKind>(DOCUMENT_KINDS.map((kind) => [dayIndices[kind], kind]));
    try {
      for (const file of pending) for await (const d of readOffloadFile(file, undefined, onBadLine)) indices.set(d.index, d.kind);
    } catch (error) {
      keepPending = true;
      report.offloadError ??= `cannot read an offload file: ${(error as Error).message}`;
    }
    down = await ensureIndices(client, indices);

    const send = async (documents: AsyncIterable<OutgoingDocument>, concurrency: number): Promise<number> => {
      if (down !== undefined) {
        await offloadAll(documents, writer);
        return 0;
      }
      const outcome = await sendDocuments(client, documents, writer, {
        flushBytes: cluster.flushBytes,
        concurrency,
        retries: cluster.maxRetries,
        retryWaitMs: 1_000,
      });
      down ??= outcome.unreachable;
      report.rejected ??= outcome.rejected;
      return outcome.indexed;
    };
    // Offloaded documents first, one request at a time, so an older version of a
    // player never lands after a newer one; one kind at a time, as ids repeat across kinds.
    if (!keepPending) {
      for (const kind of DOCUMENT_KINDS) {
        for (const file of pending) report.fromOffload += await send(readOffloadFile(file, kind, () => {}), 1);
      }
    }
    for (const kind of DOCUMENT_KINDS) {
      report.indexed[kind] = await send(dayDocuments(deps.sql, kind, dayIndices[kind], date), cluster.concurrency);
    }
  } catch (error) {
    report.error = `${(error as Error).message}`;
  } finally {
    await finishOffload(writer, report);
    await client.close().catch(() => {});
  }
  report.unreachable = down;
  // The moved files go only once what failed again is safely written.
  if (!keepPending && report.offloadError === undefined && report.error === undefined) {
    await store.discard(pending).catch((error) => (report.offloadError = `cannot delete a sent offload file: ${(error as Error).message}`));
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

async function finishOffload(writer: OffloadWriter, report: ClusterSyncReport): Promise<void> {
  await writer.close();
  report.offloaded = writer.saved;
  report.lost = writer.lost;
  if (writer.failed) report.offloadError ??= writer.failed.message;
}

/**
 * Creates the indices that do not exist yet, with the mappings of their kind.
 * Returns why the cluster cannot be used, if it cannot.
 */
async function ensureIndices(client: Client, indices: Map<string, DocumentKind>): Promise<string | undefined> {
  for (const [index, kind] of indices) {
    try {
      if (await client.indices.exists({ index })) continue;
      await client.indices.create({ index, mappings: MAPPINGS[kind] as never });
    } catch (error) {
      // Another writer created it between the two calls: fine.
      if ((error as { meta?: { body?: any } }).meta?.body?.error?.type === "resource_already_exists_exception") continue;
      return `creating index ${index}: ${describeRequestError(error)}`;
    }
  }
  return undefined;
}

const n = (value: number) => value.toLocaleString("en-US");

/** One line per cluster for the log and the run summary. */
export function describeClusterSync(r: ClusterSyncReport): string {
  const day = r.indexed.totalBattles + r.indexed.diffBattles + r.indexed.players;
  const rate = r.seconds > 0 ? Math.round((day + r.fromOffload) / r.seconds) : 0;
  const parts = [
    `elasticsearch ${r.cluster}: ${n(day)} documents of ${r.date} indexed (total_battles ${n(r.indexed.totalBattles)}, ` +
      `diff_battles ${n(r.indexed.diffBattles)}, players ${n(r.indexed.players)})` +
      (r.fromOffload > 0 ? ` + ${n(r.fromOffload)} from the offload file` : "") +
      ` in ${r.seconds.toFixed(1)} s (${n(rate)} documents/s)`,
  ];
  if (r.unreachable) parts.push(`cluster unavailable: ${r.unreachable}`);
  if (r.rejected) parts.push(`documents rejected: ${r.rejected}`);
  if (r.offloaded > 0) parts.push(`${n(r.offloaded)} documents offloaded to ${r.offloadPath}, sent first at the next sync`);
  if (r.badOffloadLines > 0) parts.push(`${n(r.badOffloadLines)} unreadable lines in the offload file skipped`);
  if (r.error) parts.push(`ERROR: sync incomplete: ${r.error}`);
  if (r.offloadError) parts.push(`ERROR: ${r.offloadError}${r.lost > 0 ? `; ${n(r.lost)} documents neither indexed nor saved` : ""}`);
  return parts.join("; ");
}

/** The sync left documents neither indexed nor saved, or could not read the day: the operator must act. */
export function syncFailed(reports: readonly ClusterSyncReport[]): boolean {
  return reports.some((r) => r.error !== undefined || r.offloadError !== undefined);
}
