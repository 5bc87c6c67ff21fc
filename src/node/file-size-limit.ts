import { readFileSync, statSync } from "node:fs";

/*
 * The process's file-size limit (RLIMIT_FSIZE: `ulimit -f`, systemd's LimitFSIZE=, a container's
 * ulimit). A write that would take a file past it fails with EFBIG (Node ignores SIGXFSZ), which
 * SQLite reports as a disk I/O error, SQLITE_IOERR_WRITE, not as SQLITE_FULL: nothing is written,
 * and every write that needs the file to grow fails until an operator raises the limit. To the
 * server it is a full disk, and is answered like one (src/node/native-libsql.ts).
 */

/** The soft limit in bytes, or null when there is none (or it cannot be read: not Linux). */
function fileSizeLimit(): number | null {
  let limits: string;
  try {
    limits = readFileSync("/proc/self/limits", "utf8");
  } catch {
    return null;
  }
  const soft = /^Max file size\s+(\S+)/m.exec(limits)?.[1];
  const bytes = Number(soft);
  return soft === undefined || !Number.isSafeInteger(bytes) ? null : bytes;
}

/**
 * Less room than this under the limit is the limit reached, as for a full disk (MIN_FREE_BYTES in
 * database-file-faults.ts): the next write that grows a file fails.
 */
const LIMIT_REACHED_WITHIN_BYTES = 1024 * 1024;

/**
 * The limit in bytes when the database file or its WAL has reached it (less than 1 MiB of room
 * left), or null: no limit, or room under it. A disk I/O error with the limit reached is the
 * limit's refusal; without, it is a real I/O error (a failing disk).
 */
export function fileSizeLimitReached(path: string): number | null {
  const limit = fileSizeLimit();
  if (limit === null) return null;
  const largest = Math.max(
    ...["", "-wal"].map((suffix) => statSync(path + suffix, { throwIfNoEntry: false })?.size ?? 0),
  );
  return limit - largest < LIMIT_REACHED_WITHIN_BYTES ? limit : null;
}

/**
 * A write refused because a file of the database reached the process's file-size limit. Named
 * after SQLITE_FULL, as its message says, so that it is answered, counted and kept to as one: 503
 * with Retry-After, the metrics' kind "full", the connection kept (src/db/errors.ts).
 */
export class FileSizeLimitError extends Error {
  readonly code = "SQLITE_FULL";
  constructor(limit: number, cause: unknown) {
    super(
      `database or disk is full: a file of the database reached the server's file-size limit of ${Math.floor(limit / 1024)} KiB (EFBIG; SQLITE_FULL)`,
      { cause },
    );
    this.name = "FileSizeLimitError";
  }
}
