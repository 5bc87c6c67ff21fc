import { drizzle } from "drizzle-orm/sqlite-proxy";
import NativeDatabase from "libsql";
import { type Database, schema } from "../db/database";
import { type DatabaseDamage, databaseDamage, isStorageFullError } from "../db/errors";
import { log } from "../lib/log";
import { DatabaseFile, DatabaseFileChangedError } from "./database-file";
import { fileSystemFault, mayWrite } from "./database-file-faults";
import { FileSizeLimitError, fileSizeLimitReached } from "./file-size-limit";
import { type Method, PreparedStatements } from "./prepared-statements";
import { connectionClosedError, isBusy, WriteLockLine } from "./write-lock-line";

/*
 * The Node server's own connection to a `file:` database: the `libsql` engine that
 * `@libsql/client` wraps, used directly, behind drizzle's sqlite-proxy driver. What that saves,
 * per statement: preparing it again (each SQL text is prepared once and kept), asking for its
 * columns, and building a row object with named and numbered keys (drizzle maps plain arrays).
 * A batch is BEGIN … COMMIT around synchronous calls, so nothing else in this process runs in
 * between.
 * Measured in docs/performance.md.
 *
 * One difference from the other drivers, which the app never meets: a raw `db.all(sql\`…\`)`
 * returns rows as arrays here, as objects on D1 and @libsql/client. The data layer uses query
 * builders only, which map to the same objects on every driver.
 */

type Connection = InstanceType<typeof NativeDatabase>;

/**
 * DATABASE_SYNCHRONOUS: `full` syncs the WAL at every commit, so a power cut or kernel crash loses
 * no answered write; `normal` syncs it only at checkpoints, 0.2 ms (quiet disk) to 1–2 ms (busy)
 * less a commit here, and the last commits before such a crash can be lost (never corrupted). Per
 * connection: every connection that writes the file sets it (docs/databases.md, "Durability").
 */
export type DatabaseSynchronous = "full" | "normal";

export const synchronousPragma = (mode: DatabaseSynchronous) =>
  `PRAGMA synchronous = ${mode === "full" ? "FULL" : "NORMAL"}`;

/**
 * A batch that writes takes the write lock at BEGIN (IMMEDIATE), before its first read: another
 * process's commit can then never land between what a guard read and what the batch writes, and a
 * lock wait is the busy timeout's, not a failed upgrade. Reads-only batches stay deferred.
 */
const READ = /^\s*select\b/i;

/**
 * How long a write waits for the write lock in SQLite's busy handler, which sleeps and so holds the
 * event loop: enough for the usual sub-millisecond turns between a cluster's workers, short enough
 * for /healthz and reads to answer meanwhile. Past it the write waits in line off the event loop,
 * up to the whole busy timeout (docs/databases.md, "Busy database").
 */
const BLOCKING_LOCK_WAIT_MS = 25;

/**
 * Which requests a damaged file fails, in the once-per-process line. SQLITE_NOTADB said "requests
 * that need the damaged part", as for a page SQLite cannot read: a header that is not a
 * database's leaves no table readable to a connection that reads it.
 */
const DAMAGE_EFFECT: Record<DatabaseDamage, string> = {
  SQLITE_CORRUPT: "requests that need the damaged part answer 503",
  SQLITE_NOTADB:
    "its header no longer reads as a SQLite database's, so none of it can be read: requests that need the database answer 503",
};

export interface NativeLibsql {
  db: Database;
  /**
   * Why the file cannot take writes, for /readyz: `path` no longer names the file opened, a query
   * found it damaged, it is read-only to this process, or its file system is full. Null when it can.
   */
  fault: () => string | null;
  /** Writes waiting in line for another process's write lock, now. */
  writesWaiting: () => number;
  /** `checkpoint: false` leaves the WAL to the last process to close (a cluster's primary). */
  close: (options?: { checkpoint?: boolean }) => void;
}

export function openNativeLibsql(
  path: string,
  busyTimeoutMs: number,
  bulkWriter = false,
  synchronous: DatabaseSynchronous = "full",
): NativeLibsql {
  const prepared = new PreparedStatements();
  let native: Connection | null = null;
  let closed = false;
  const blockingWaitMs = Math.min(busyTimeoutMs, BLOCKING_LOCK_WAIT_MS);

  const file = new DatabaseFile(path);

  const connection = (): Connection => {
    if (closed) throw connectionClosedError();
    if (native !== null) return native;
    file.confirm();
    const fresh = openConnection(path, blockingWaitMs, bulkWriter, synchronous);
    file.adopt(() => fresh.close());
    native = fresh;
    return native;
  };

  /*
   * After an error (but the two refusals below) the connection is replaced. A statement that
   * failed with SQLITE_BUSY is left "in progress" by the engine (this API cannot reset it): until
   * it is finalised, every later autocommit write joins a transaction that never commits, and
   * COMMIT fails with "SQL statements in progress". Closing the connection rolls back what was
   * open and leaves that statement behind with it (libsql frees a closed connection once its
   * statements are garbage-collected); the next query opens a clean one.
   */
  const discardConnection = () => {
    const broken = native;
    native = null;
    prepared.clear();
    if (broken === null) return;
    try {
      if (broken.inTransaction) broken.exec("ROLLBACK");
    } catch {
      // closing rolls back too; the query's own error is the one to report
    }
    try {
      broken.close();
    } catch (error) {
      log("warn", "a failed database connection did not close cleanly", {
        error: (error as Error).name,
      });
    }
  };

  const execute = (sql: string, params: unknown[], method: Method): { rows: unknown[] } => {
    const { statement: found, reader } = prepared.get(sql, method, connection);
    // The engine cannot bind a boolean (it aborts the process); @libsql/client sent 1 and 0.
    const values = params.map((value) => (typeof value === "boolean" ? Number(value) : value));
    if (!reader) {
      found.run(values);
      return { rows: [] };
    }
    if (method === "get") return { rows: found.get(values) as unknown[] };
    return { rows: found.all(values) as unknown[] };
  };

  /*
   * Two refusals keep the connection: SQLITE_FULL, and SQLITE_READONLY while the file is still
   * read-only to this process (a new connection would be refused too; once it may write, the one
   * perhaps opened read-only is replaced). Both end the failed statement (BUSY is what leaves one
   * in progress), so rolling back its transaction is enough. Replacing the connection would not
   * free it: libsql closes one only once every statement it prepared is garbage-collected, and these
   * faults refuse every write, so each refusal kept two file handles and ~230 KB alive.
   */
  const keepsConnection = (error: unknown) =>
    isStorageFullError(error) || (isReadOnly(error) && !mayWrite(path));
  const rollBack = () => {
    try {
      if (native?.inTransaction) native.exec("ROLLBACK");
    } catch {
      discardConnection();
    }
  };

  /**
   * The damage SQLite first reported (SQLITE_CORRUPT, SQLITE_NOTADB), for /readyz and the one log
   * line that tells the operator which file and what to do. Kept until the process stops: SQLite
   * does not repair a page, and the restored file is a new one, which needs a restart anyway
   * (DatabaseFile reports it as replaced).
   */
  let damage: DatabaseDamage | null = null;
  const noteDamage = (error: unknown) => {
    if (damage !== null) return;
    damage = databaseDamage(error);
    if (damage === null) return;
    log(
      "error",
      `the database file ${path} is damaged (${damage}): ${DAMAGE_EFFECT[damage]} and nothing of them is written; stop the server, keep the damaged file aside and restore the latest backup (npm run db:backup) to its path, then start again (docs/operations.md, "A damaged database file")`,
      { file: path, error: damage },
    );
  };

  /** Runs `work` synchronously; on an error the connection is replaced before it is rethrown. */
  const guarded = <T>(work: () => T): T => {
    try {
      return work();
    } catch (caught) {
      noteDamage(caught);
      const error = overFileSizeLimit(caught, path) ?? caught;
      if (keepsConnection(error)) rollBack();
      else discardConnection();
      throw error;
    }
  };

  /** Commits the transaction this connection holds, if `path` still names its file. */
  const commit = <T>(result: T): T => {
    file.confirm();
    connection().exec("COMMIT");
    return result;
  };
  const runAll = (queries: { sql: string; params: unknown[]; method: Method }[]) =>
    queries.map((query) => execute(query.sql, query.params, query.method));

  /**
   * The last write was refused as read-only (SQLITE_READONLY: the file's mode, a read-only
   * mount), for /readyz until a write commits (/readyz tries one: writeCommits). A process that
   * holds one read-only connection to a file gets only read-only ones to it, so access(2) alone
   * cannot tell.
   */
  let refusedAsReadOnly = false;
  /** Runs a write now; notes whether it was refused as read-only. */
  const attempt = <T>(work: () => T): T => {
    try {
      const result = guarded(work);
      refusedAsReadOnly = false;
      return result;
    } catch (error) {
      if (isReadOnly(error)) refusedAsReadOnly = true;
      throw error;
    }
  };

  /** BEGIN IMMEDIATE if the lock is free now; false (nothing begun) if it is not. */
  const beginWithoutWaiting = (): boolean => {
    const open = connection();
    open.exec("PRAGMA busy_timeout = 0");
    try {
      open.exec("BEGIN IMMEDIATE");
      return true;
    } catch (error) {
      if (isBusy(error)) return false;
      throw error;
    } finally {
      open.exec(`PRAGMA busy_timeout = ${blockingWaitMs}`);
    }
  };

  /*
   * Whether a write commits now, for /readyz after a read-only refusal, so that being ready again
   * does not wait for a write a load balancer sends only to ready servers. A connection opened
   * read-only can accept BEGIN IMMEDIATE and even a page write and fail only at COMMIT, so the
   * probe commits the header's user_version, unchanged. False while another process holds the
   * write lock.
   */
  const writeCommits = (): boolean => {
    if (native?.inTransaction) return false;
    try {
      return guarded(() => {
        if (!beginWithoutWaiting()) return false;
        const [[version]] = execute("PRAGMA user_version", [], "values").rows as [[number]];
        execute(`PRAGMA user_version = ${Number(version)}`, [], "run");
        return commit(true);
      });
    } catch {
      return false; // refused again; guarded() kept or replaced the connection as for any write
    }
  };

  const line = new WriteLockLine({
    busyTimeoutMs,
    tryBegin: () => guarded(beginWithoutWaiting),
    run: attempt,
  });

  const db = drizzle(
    async (sql, params, method) => {
      if (READ.test(sql)) return guarded(() => execute(sql, params, method));
      return line.write(
        () => {
          file.confirm();
          return execute(sql, params, method);
        },
        () => commit(execute(sql, params, method)),
      );
    },
    async (queries) => {
      if (queries.every((query) => READ.test(query.sql))) {
        return guarded(() => {
          const open = connection();
          open.exec("BEGIN");
          const results = runAll(queries);
          open.exec("COMMIT");
          return results;
        });
      }
      return line.write(
        () => {
          connection().exec("BEGIN IMMEDIATE");
          return commit(runAll(queries));
        },
        () => commit(runAll(queries)),
      );
    },
    { schema },
  ) as unknown as Database;

  // Opened now, so a database that cannot be opened fails the server's start, not its first request.
  connection();

  return {
    db,
    writesWaiting: () => line.waiting,
    fault: () => {
      const change = file.change();
      if (change !== null) return `file ${change} since the server opened it`;
      if (damage !== null) return `file is damaged (${damage}); restore it from a backup`;
      const fileSystem = fileSystemFault(path);
      if (fileSystem !== null) return fileSystem;
      if (refusedAsReadOnly && writeCommits()) refusedAsReadOnly = false;
      return refusedAsReadOnly
        ? "file refused the last write as read-only (SQLITE_READONLY)"
        : null;
    },
    close: ({ checkpoint = true } = {}) => {
      closed = true;
      line.close();
      const open = native;
      if (open === null || !open.open) return;
      try {
        if (!checkpoint) return;
        // At shutdown, blocking is fine: wait for a writer of another process as long as a write would.
        open.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
        // Kept statements keep SQLite from checkpointing when the connection closes: fold the
        // WAL into the database file now, so a stopped server leaves one self-contained file.
        const [busy] = open.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true).get([]) as [
          number,
        ];
        if (busy) log("warn", "the WAL could not be checkpointed at shutdown", { reason: "busy" });
      } catch (error) {
        // Every acknowledged write is committed already; the WAL file simply stays beside it.
        log("warn", "the WAL could not be checkpointed at shutdown", {
          reason: (error as Error).name,
        });
      } finally {
        prepared.clear();
        native = null;
        open.close();
      }
    },
  };
}

/**
 * The bulk writer's connection (a cluster's primary, which runs the ingest consumer): a bulk
 * ingest rewrites the same index pages chunk after chunk (loans arrive in random customer order),
 * so a cache that holds them saves reading them back (docs/performance.md).
 */
const BULK_WRITER_CACHE = "PRAGMA cache_size = -65536";

/**
 * The WAL is folded into the file by a thread of its own (src/node/wal-checkpointer.ts), which the
 * process that owns the database runs: a one-process server, or a cluster's primary. A connection
 * checkpoints by itself only past this many pages (~40 MB, against SQLite's 1,000), as a bound
 * should that thread stop; the bulk writer then also copies each page once per 40 MB, not once per
 * two chunks. Durability is the WAL's and `synchronous`'s, unchanged: this changes when pages reach
 * the main file, not what is committed.
 */
const WAL_PAGES_BEFORE_OWN_CHECKPOINT = 10_000;

/**
 * The error to report for a write that failed as a disk I/O error because the database file or its
 * WAL reached the process's file-size limit (EFBIG: src/node/file-size-limit.ts), or null for any
 * other error. A real I/O error (a failing disk) stays what it was: the limit must be within reach.
 */
function overFileSizeLimit(error: unknown, path: string): FileSizeLimitError | null {
  if ((error as { code?: unknown } | null)?.code !== "SQLITE_IOERR_WRITE") return null;
  const limit = fileSizeLimitReached(path);
  return limit === null ? null : new FileSizeLimitError(limit, error);
}

/** SQLITE_READONLY from the engine (not a file changed under it, which DatabaseFile reports). */
function isReadOnly(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === "string" &&
    code.startsWith("SQLITE_READONLY") &&
    !(error instanceof DatabaseFileChangedError)
  );
}

function openConnection(
  path: string,
  busyTimeoutMs: number,
  bulkWriter: boolean,
  synchronous: DatabaseSynchronous,
): Connection {
  const opened = new NativeDatabase(path, { timeout: busyTimeoutMs });
  try {
    // As on every connection the server opens: see openLibsqlDatabase.
    opened.exec("PRAGMA journal_mode = WAL");
    opened.exec(synchronousPragma(synchronous));
    opened.exec("PRAGMA foreign_keys = ON");
    opened.exec(`PRAGMA wal_autocheckpoint = ${WAL_PAGES_BEFORE_OWN_CHECKPOINT}`);
    if (bulkWriter) opened.exec(BULK_WRITER_CACHE);
    return opened;
  } catch (error) {
    opened.close();
    throw error;
  }
}
