/**
 * Builds that failed to start on this machine, kept next to the executable
 * (`.<exe>.rejected`, one `sha256 version reason` line each) so that neither
 * this process nor a restarted one tries them again: an update that cannot
 * start must not turn into a download-and-restart loop.
 */
import { appendFile, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export class RejectedBuilds {
  readonly path: string;

  constructor(executable: string) {
    this.path = join(dirname(executable), `.${basename(executable)}.rejected`);
  }

  async has(sha256: string): Promise<boolean> {
    const text = await readFile(this.path, "utf8").catch(() => "");
    return text.split("\n").some((line) => line.startsWith(`${sha256} `));
  }

  /** Best effort: a read-only directory only loses the memory across restarts. */
  async add(sha256: string, version: string, reason: string): Promise<void> {
    await appendFile(this.path, `${sha256} ${version} ${reason.replace(/\s+/g, " ")}\n`).catch(() => {});
  }
}
