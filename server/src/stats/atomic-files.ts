/**
 * Files of the static export, each written under a temporary name beside its
 * place and renamed into it, so a web server or a sync reading the directory
 * never sees half a file.
 */
import { copyFile, mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

const temporaryBeside = (path: string) => join(dirname(path), `.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}.tmp`);

export async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryBeside(path);
  await writeFile(temporary, text);
  await rename(temporary, path);
}

export async function copyAtomically(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const temporary = temporaryBeside(to);
  await copyFile(from, temporary);
  await rename(temporary, to);
}
