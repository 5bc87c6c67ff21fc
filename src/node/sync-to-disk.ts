import { closeSync, fsyncSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { log } from "../lib/log";

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
 * What a file system answers when it cannot sync a folder (SMB/CIFS, some FUSE and network
 * mounts) or will not let it be opened: SQLite and PostgreSQL carry on there, and so does this,
 * with a warning; stopping would make every start on such a mount fail.
 */
const FOLDER_SYNC_REFUSALS = new Set(["EINVAL", "ENOTSUP", "EOPNOTSUPP", "EACCES", "EPERM"]);

/**
 * Syncs a folder's entries, or warns, naming it, if its file system refuses to; the refusal's code
 * (`EINVAL`…), or null once synced, for a caller whose last word must not promise durability.
 */
export function syncFolder(folder: string): string | null {
  try {
    syncToDisk(folder);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined || !FOLDER_SYNC_REFUSALS.has(code)) throw error;
    log("warn", "a folder's new entries could not be synced to disk; its file system refused", {
      folder,
      code,
    });
    return code;
  }
}

/**
 * After a start created the database file at `path` (and `firstCreatedFolder`, the outermost of
 * the folders `mkdir -p` made for it, if any): its entry and each new folder's are durable only
 * once the folder holding them is synced. SQLite syncs the file's folder itself when its first
 * transaction's journal is new, but never a folder above it, and a power cut could lose `.data/`
 * with the database in it. The file's folder's own entry is synced too (its parent), in case an
 * earlier start made the folder and failed before this. Synced whatever DATABASE_SYNCHRONOUS
 * says: `normal` may lose the last commits, never the whole file (docs/databases.md).
 */
export function syncNewEntries(path: string, firstCreatedFolder: string | undefined): void {
  let folder = resolve(dirname(path));
  const holder = dirname(firstCreatedFolder === undefined ? folder : resolve(firstCreatedFolder));
  syncFolder(folder);
  while (folder !== holder && folder !== dirname(folder)) {
    folder = dirname(folder);
    syncFolder(folder);
  }
}
