import { closeSync, fsyncSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Waits until what was written to `path` (a file, or a folder's entries) is on the disk. */
export function syncToDisk(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * After a start created the database file at `path` (and `firstCreatedFolder`, the outermost of
 * the folders `mkdir -p` made for it, if any): its entry and each new folder's are durable only
 * once the folder holding them is synced. SQLite syncs the file's folder itself when its first
 * transaction's journal is new, but never a folder above it, and a power cut could lose `.data/`
 * with the database in it. Synced whatever DATABASE_SYNCHRONOUS says: `normal` may lose the last
 * commits, never the whole file (docs/databases.md, "Durability of a file database").
 */
export function syncNewEntries(path: string, firstCreatedFolder: string | undefined): void {
  let folder = resolve(dirname(path));
  syncToDisk(folder);
  if (firstCreatedFolder === undefined) return;
  const holder = dirname(resolve(firstCreatedFolder));
  while (folder !== holder && folder !== dirname(folder)) {
    folder = dirname(folder);
    syncToDisk(folder);
  }
}
