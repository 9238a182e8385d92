/**
 * Downloads a build into a file, checking it on the way: never more bytes
 * than the manifest says (a hostile server cannot fill the disk), then the
 * exact size and sha256. A file that fails any check is deleted.
 */
import { open, rm } from "node:fs/promises";
import { UpdateFailed, UpdateRefused } from "./errors";

/** The part of a FileHandle the download uses (tests put a full disk behind it). */
export interface WritableFile {
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface DownloadOptions {
  url: string;
  destination: string;
  size: number;
  sha256: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** A download that receives nothing for this long is abandoned. */
  idleTimeoutMs?: number;
  openFile?: (path: string) => Promise<WritableFile>;
}

const createExclusive = (path: string): Promise<WritableFile> => open(path, "wx", 0o700);

export async function downloadBuild(options: DownloadOptions): Promise<void> {
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const idle = new AbortController();
  let idleTimer = setTimeout(() => idle.abort(), idleMs);
  const poke = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => idle.abort(), idleMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  let file: WritableFile | undefined;
  try {
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(options.url, { signal });
    } catch (error) {
      throw new UpdateFailed(`cannot download ${options.url}: ${idle.signal.aborted ? `no answer in ${idleMs / 1000} s` : describe(error)}`);
    }
    if (!response.ok || !response.body) {
      const text = (await response.text().catch(() => "")).slice(0, 200);
      throw new UpdateFailed(`downloading ${options.url} answered ${response.status}${text ? `: ${text}` : ""}`);
    }
    const announced = response.headers.get("content-length");
    if (announced !== null && Number(announced) !== options.size) {
      await response.body.cancel().catch(() => {});
      // Most likely a build published between our manifest and this download: the next check sees it
      throw new UpdateFailed(`the server sends ${announced} bytes but the signed manifest says ${options.size}`);
    }

    try {
      file = await (options.openFile ?? createExclusive)(options.destination);
    } catch (error) {
      throw new UpdateFailed(`cannot create ${options.destination}: ${describe(error)}`);
    }
    const hasher = new Bun.CryptoHasher("sha256");
    let received = 0;
    try {
      for await (const chunk of response.body) {
        poke();
        received += chunk.byteLength;
        if (received > options.size) throw new UpdateRefused(`the download is longer than the ${options.size} bytes the manifest says`);
        hasher.update(chunk);
        await writeAll(file, chunk, options);
      }
    } catch (error) {
      if (error instanceof UpdateRefused || error instanceof UpdateFailed) throw error;
      const why = idle.signal.aborted ? `nothing received for ${idleMs / 1000} s` : describe(error);
      throw new UpdateFailed(`the download broke off after ${received} of ${options.size} bytes: ${why}`);
    }
    if (received < options.size) throw new UpdateFailed(`truncated download: ${received} of ${options.size} bytes`);
    const sha256 = hasher.digest("hex");
    if (sha256 !== options.sha256) throw new UpdateRefused(`sha256 mismatch: the download is ${sha256}, the signed manifest says ${options.sha256}`);
    try {
      // On disk before it replaces anything: a power cut must not leave an empty executable
      await file.sync();
    } catch (error) {
      throw new UpdateFailed(`cannot flush ${options.destination}: ${describe(error)}`);
    }
    await file.close();
    file = undefined;
  } catch (error) {
    await file?.close().catch(() => {});
    await rm(options.destination, { force: true }).catch(() => {});
    throw error;
  } finally {
    clearTimeout(idleTimer);
  }
}

async function writeAll(file: WritableFile, chunk: Uint8Array, options: DownloadOptions): Promise<void> {
  let offset = 0;
  try {
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
      if (bytesWritten <= 0) throw Object.assign(new Error("the disk accepted no more bytes"), { code: "ENOSPC" });
      offset += bytesWritten;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") {
      throw new UpdateFailed(`no space left on the disk for ${options.destination} (the build needs ${megabytes(options.size)})`);
    }
    throw new UpdateFailed(`cannot write ${options.destination}: ${describe(error)}`);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
