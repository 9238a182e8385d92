/**
 * Puts a verified build in place of the running executable, keeping the old
 * one as `<exe>.old` until the new one has started.
 *
 * POSIX: the old file is hard-linked to the backup name, then the new file is
 * renamed over the executable, so the path is always one whole binary (the
 * running process keeps its own, now unnamed, copy). Windows cannot replace a
 * running executable but can rename it: the running file moves aside, then
 * the new one moves in (and back, should that fail).
 */
import { copyFile, link, open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export function backupPath(executable: string): string {
  return `${executable}.old`;
}

/** Returns the backup's path. */
export async function replaceExecutable(executable: string, staged: string, platform = process.platform): Promise<string> {
  let backup = backupPath(executable);
  try {
    await rm(backup, { force: true });
  } catch {
    // Windows: an older backup may still be running (a predecessor waiting for us)
    backup = `${executable}.${Date.now()}.old`;
  }
  if (platform === "win32") {
    await rename(executable, backup);
    try {
      await rename(staged, executable);
    } catch (error) {
      await rename(backup, executable);
      throw error;
    }
  } else {
    try {
      await link(executable, backup);
    } catch {
      await copyFile(executable, backup); // file systems without hard links
    }
    await rename(staged, executable);
  }
  await syncDirectory(dirname(executable));
  return backup;
}

/** The new build did not start: the old one goes back. */
export async function restoreExecutable(executable: string, backup: string): Promise<void> {
  await rename(backup, executable);
  await syncDirectory(dirname(executable));
}

/** Backups and temporary downloads that a killed process left behind; none may be in use by a live one. */
export async function removeLeftovers(executable: string): Promise<string[]> {
  const dir = dirname(executable);
  const name = basename(executable);
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const download = entry.startsWith(`.${name}.update-`) ? Number(entry.slice(`.${name}.update-`.length).split(".")[0]) : NaN;
    const stale = entry === `${name}.old` || (entry.startsWith(`${name}.`) && entry.endsWith(".old")) || (Number.isInteger(download) && !isAlive(download));
    if (!stale) continue;
    try {
      await rm(join(dir, entry), { force: true });
      removed.push(entry);
    } catch {
      // still running (Windows); the next start tries again
    }
  }
  return removed;
}

/** Where a download waits: next to the executable, so the final rename stays on one file system. */
export function stagingPath(executable: string, platform = process.platform): string {
  return join(dirname(executable), `.${basename(executable)}.update-${process.pid}${platform === "win32" ? ".exe" : ""}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Makes the renames durable (POSIX); Windows cannot open a directory and needs no such step. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => {});
  await handle.close();
}
