/**
 * Replacing a file so that a crash, a power cut or a reader at the wrong
 * moment sees either the old contents or the new, never half of either, and
 * so that the file stays what the operator made it:
 *
 * - a symlink stays a symlink: the link's target is replaced (the temporary
 *   file goes beside the target, so the rename stays on one file system);
 * - mode and owner are the old file's (a config holding WG keys, the admin
 *   token and the database password must not turn 0644 on its first rewrite);
 *   a new file gets `mode` (default 0600);
 * - the data is fsynced before the rename, and the directory after it, so
 *   the rename itself survives a power cut.
 *
 * If the owner cannot be kept (a config owned by another user, in a
 * directory we may write), nothing is replaced and the error says so.
 */
import { chown, open, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface ReplaceOptions {
  /** Mode of a file that does not exist yet. */
  mode?: number;
}

export async function replaceFile(path: string, text: string, options: ReplaceOptions = {}): Promise<void> {
  const target = await realpath(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return path; // new file (or a dangling link: then the link is replaced)
    throw error;
  });
  const existing = await stat(target).catch(() => undefined);
  const dir = dirname(target);
  const temporary = join(dir, `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const mode = existing ? existing.mode & 0o7777 : (options.mode ?? 0o600);
  const handle = await open(temporary, "wx", mode);
  try {
    try {
      // open() applies the umask; the old file's mode is restored exactly
      await handle.chmod(mode);
      if (existing && process.platform !== "win32" && (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.())) {
        await chown(temporary, existing.uid, existing.gid).catch((error: Error) => {
          throw new Error(`cannot keep the owner (uid ${existing.uid}, gid ${existing.gid}) of ${target}: ${error.message}; it was left unchanged`);
        });
      }
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
}

/** Makes a rename durable (POSIX); Windows cannot open a directory and needs no such step. */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
