import { accessSync, constants, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { errorCode } from "../lib/error-code";
import { fileSizeLimitReached } from "./file-size-limit";

/*
 * What the file system says about a database file's writes, for /readyz (read from the file system
 * itself, so every process of a cluster sees it, not only the one a write was refused to), and
 * whether a connection refused as read-only is kept (mayWrite: a new one would be refused too).
 */

/**
 * Less room than this beside the database is a full disk for /readyz: writes soon fail with
 * SQLITE_FULL (answered 503), and a cluster's workers each see it, unlike a refusal one of them met.
 */
const MIN_FREE_BYTES = 1024 * 1024;

/** Why writes to `path` would fail now (read-only, a full disk, the file-size limit), or null. */
export function fileSystemFault(path: string): string | null {
  const denied = writeDenied(path);
  if (denied !== null) return `file is read-only to the server (${denied})`;
  const room = availableBytes(path);
  if (room !== null && room < MIN_FREE_BYTES) {
    return `file system is full (${Math.floor(room / 1024)} KiB available)`;
  }
  const limit = fileSizeLimitReached(path);
  if (limit !== null) {
    return `file has reached the server's file-size limit (${Math.floor(limit / 1024)} KiB: ulimit -f, LimitFSIZE=)`;
  }
  return null;
}

export const mayWrite = (path: string) => writeDenied(path) === null;

/** Bytes this process may still write beside the database (root may use the reserved blocks). */
function availableBytes(path: string): number | null {
  try {
    const { bavail, bfree, bsize } = statfsSync(dirname(path));
    return (process.getuid?.() === 0 ? bfree : bavail) * bsize;
  } catch {
    return null; // the directory's own problem: file.change() and access() report it
  }
}

/**
 * Why access(2) says this process may not write `path`, or the -wal or -shm beside it (EACCES,
 * EROFS, …), or null if it may. Either of those read-only (a server once run as root leaves them
 * root's) makes SQLite open every connection read-only, as the file itself would.
 */
function writeDenied(path: string): string | null {
  const file = accessDenied(path);
  if (file !== null) return file;
  const beside = besideDenied(path);
  return beside === null ? null : `${beside.code} on its ${beside.suffix} file`;
}

/** The code access(2) refuses a write to `file` with (EACCES, EROFS, ENOENT, …), or null. */
export function accessDenied(file: string): string | null {
  try {
    accessSync(file, constants.W_OK);
    return null;
  } catch (error) {
    return errorCode(error);
  }
}

/**
 * The first -wal or -shm beside the database that exists and may not be written (SQLite
 * creates a missing one).
 */
export function besideDenied(path: string): { suffix: "-wal" | "-shm"; code: string } | null {
  for (const suffix of ["-wal", "-shm"] as const) {
    const code = accessDenied(path + suffix);
    if (code !== null && code !== "ENOENT") return { suffix, code };
  }
  return null;
}
