import { statSync } from "node:fs";
import { errorCode } from "../lib/error-code";
import { log } from "../lib/log";

/** A file by device and inode: what a database's path must still name for a write to commit. */
type FileIdentity = { dev: bigint; ino: bigint };

/**
 * A write refused because the path no longer names the file the connection opened (deleted,
 * renamed or replaced): committed into the old file it would be acknowledged and lost. Named after
 * SQLite's own code for it, which SQLite does not raise in WAL mode; answered 503 (src/db/errors.ts).
 */
export class DatabaseFileChangedError extends Error {
  readonly code = "SQLITE_READONLY_DBMOVED";
  constructor(change: string) {
    super(`the database file ${change} since it was opened (SQLITE_READONLY_DBMOVED)`);
    this.name = "DatabaseFileChangedError";
  }
}

/**
 * The database file the server's first connection opened, and whether its path still names it.
 * SQLite does not check this in WAL mode, so the connection asks before each write commits.
 */
export class DatabaseFile {
  #opened: FileIdentity | null = null;
  /** The change last logged, so that a deleted file is logged once, not at every write. */
  #reported: string | null = null;

  constructor(private readonly path: string) {}

  /** How the path now differs from the file first opened ("was replaced", …), or null. */
  change(): string | null {
    if (this.#opened === null) return null;
    try {
      return this.#changeOf(statSync(this.path, { bigint: true, throwIfNoEntry: false }));
    } catch (error) {
      return `could not be checked (${errorCode(error)})`;
    }
  }

  /** One stat (3–5 µs a write: docs/performance.md, round 10); throws when the file changed. */
  confirm(): void {
    const change = this.change();
    if (change !== this.#reported) {
      this.#reported = change;
      if (change !== null) {
        log("error", "the database file changed under the server: writes are refused", {
          change,
        });
      } else log("info", "the database file is back: writes are accepted again");
    }
    if (change !== null) throw new DatabaseFileChangedError(change);
  }

  /**
   * After a connection opened the path: the first names the file; a later one must have opened
   * the same, never whatever now sits there (a new empty file SQLite created, or a copy).
   */
  adopt(closeConnection: () => void): void {
    const now = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    const change = this.#changeOf(now);
    if (now === undefined || change !== null) {
      closeConnection();
      throw new DatabaseFileChangedError(change ?? "was deleted or renamed");
    }
    this.#opened ??= { dev: now.dev, ino: now.ino };
  }

  #changeOf(now: FileIdentity | undefined): string | null {
    if (now === undefined) return "was deleted or renamed";
    if (this.#opened === null) return null;
    return now.dev === this.#opened.dev && now.ino === this.#opened.ino ? null : "was replaced";
  }
}
