/**
 * The offload files of one cluster: documents it could not take (unreachable,
 * or rejected them) wait in `<dir>/<cluster>.ndjson`, one JSON document a
 * line, and are sent first at the next sync. A sync moves the file aside
 * (`<cluster>.sending-<ms>.ndjson`) before reading it, writes whatever fails
 * again to a fresh `<cluster>.ndjson`, and deletes the moved file only once
 * that one is safely on disk; a crash in between leaves the moved file, which
 * the next sync sends too (ids make the repeat harmless).
 */
import { mkdir, open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DOCUMENT_KINDS, type DocumentKind } from "./indices";
import type { OutgoingDocument } from "./documents";

export class OffloadWriteError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write the offload file ${path}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "OffloadWriteError";
  }
}

/**
 * Buffers offloaded documents and appends them to the file. A write error is
 * kept, not thrown at the caller of add() (the bulk helper's callbacks): the
 * documents that could not be saved are counted as lost and the error is
 * read from `failed` after close().
 */
export class OffloadWriter {
  /** Documents handed to add(). */
  count = 0;
  /** Documents that could not be written (after a write error). */
  lost = 0;
  private handle: FileHandle | undefined;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private failure: OffloadWriteError | undefined;

  constructor(
    readonly path: string,
    private readonly bufferBytes = 1 << 20,
  ) {}

  /** Synchronous, so the bulk helper's callbacks can call it; the write happens behind. */
  add(document: OutgoingDocument): void {
    this.count++;
    if (this.failure) {
      this.lost++;
      return;
    }
    const line = `${JSON.stringify(document)}\n`;
    this.buffer.push(line);
    this.bufferedBytes += line.length;
    if (this.bufferedBytes >= this.bufferBytes) this.writeBuffered();
  }

  /** Documents written (or waiting to be) without error. */
  get saved(): number {
    return this.count - this.lost;
  }

  get failed(): OffloadWriteError | undefined {
    return this.failure;
  }

  /** Resolves when everything added so far is written or has failed: back-pressure for a long offload. */
  async flush(): Promise<void> {
    this.writeBuffered();
    await this.writing;
  }

  /** Flushes, syncs to disk and closes; a failure is in `failed` afterwards. */
  async close(): Promise<void> {
    await this.flush();
    if (this.handle && !this.failure) {
      await this.handle.sync().catch((error) => (this.failure = new OffloadWriteError(this.path, error)));
    }
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  private writeBuffered(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join("");
    const documents = this.buffer.length;
    this.buffer = [];
    this.bufferedBytes = 0;
    this.writing = this.writing.then(async () => {
      if (this.failure) {
        this.lost += documents;
        return;
      }
      try {
        if (!this.handle) {
          await mkdir(dirname(this.path), { recursive: true });
          this.handle = await open(this.path, "a");
        }
        await this.handle.write(text);
      } catch (error) {
        this.failure = new OffloadWriteError(this.path, error);
        this.lost += documents;
      }
    });
  }
}

export class OffloadStore {
  constructor(
    readonly dir: string,
    readonly cluster: string,
  ) {}

  /** Where documents that could not be indexed wait for the next sync. */
  get path(): string {
    return join(this.dir, `${this.cluster}.ndjson`);
  }

  /** Moves the offload file aside and returns every moved file waiting to be sent, oldest first. */
  async takePending(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new Error(`cannot read the offload directory ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
    if (names.includes(`${this.cluster}.ndjson`)) {
      const moved = `${this.cluster}.sending-${Date.now()}.ndjson`;
      await rename(this.path, join(this.dir, moved));
      names.push(moved);
    }
    const prefix = `${this.cluster}.sending-`;
    return names
      .filter((name) => name.startsWith(prefix) && name.endsWith(".ndjson"))
      .sort((a, b) => Number(a.slice(prefix.length, -7)) - Number(b.slice(prefix.length, -7)))
      .map((name) => join(this.dir, name));
  }

  writer(): OffloadWriter {
    return new OffloadWriter(this.path);
  }

  async discard(files: string[]): Promise<void> {
    for (const file of files) await rm(file, { force: true });
  }
}

/**
 * The documents in an offload file, streamed; only those of `kind` when given.
 * A line that does not parse (a crash cut the last write short) is skipped
 * and counted through onBadLine.
 */
export async function* readOffloadFile(
  path: string,
  kind: DocumentKind | undefined,
  onBadLine: (lineNumber: number) => void,
): AsyncGenerator<OutgoingDocument> {
  const decoder = new TextDecoder();
  let rest = "";
  let lineNumber = 0;
  const parse = (line: string): OutgoingDocument | undefined => {
    lineNumber++;
    if (line === "") return undefined;
    const document = parseLine(line);
    if (!document) onBadLine(lineNumber);
    return document && (kind === undefined || document.kind === kind) ? document : undefined;
  };
  for await (const chunk of Bun.file(path).stream()) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    for (const line of lines) {
      const document = parse(line);
      if (document) yield document;
    }
  }
  const last = parse(rest + decoder.decode());
  if (last) yield last;
}

function parseLine(line: string): OutgoingDocument | undefined {
  try {
    const d = JSON.parse(line);
    const valid =
      d && DOCUMENT_KINDS.includes(d.kind) && typeof d.index === "string" && typeof d.id === "string" && d.source && typeof d.source === "object";
    return valid ? d : undefined;
  } catch {
    return undefined;
  }
}
