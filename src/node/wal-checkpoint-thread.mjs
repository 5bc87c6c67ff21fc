// The WAL checkpointer's thread (started by src/node/wal-checkpointer.ts). Plain JavaScript: a
// worker thread gets no TypeScript loader under the test runner.
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import Database from "libsql";

/** @type {{ path: string; intervalMs: number; synchronousPragma: string }} */
const { path, intervalMs, synchronousPragma } = workerData;
/** Opened at the first tick that can: the file may be missing, locked or not yet a database. */
let connection = null;
let checkpoint = null;

function prepareCheckpoint() {
  // Opening would create a missing file: a database deleted under the server must not come back
  // empty at its path (native-libsql.ts refuses writes until the file it opened is back).
  if (connection === null && !existsSync(path)) {
    throw Object.assign(new Error("no database file"), { code: "ENOENT" });
  }
  connection ??= new Database(path);
  // A checkpoint syncs the WAL and the database file as the app's connections would.
  connection.exec(synchronousPragma);
  // Never checkpoints on its own commits (it makes none): only when asked, below.
  connection.exec("PRAGMA wal_autocheckpoint = 0");
  // Reads the file's header, so a file that became a WAL database since is seen as one.
  const [mode] = connection.prepare("PRAGMA journal_mode").raw(true).get([]);
  if (mode !== "wal") throw Object.assign(new Error("not a WAL database"), { code: "NOT_WAL" });
  // PASSIVE copies what no reader still needs and never waits for a lock: writers carry on.
  return connection.prepare("PRAGMA wal_checkpoint(PASSIVE)").raw(true);
}

/** The refusals after which the connection is as good as a new one (native-libsql.ts). */
function keepsConnection(error) {
  if (error.code === "SQLITE_FULL") return true;
  if (error.code === "SQLITE_IOERR_WRITE") return atFileSizeLimit();
  if (!String(error.code).startsWith("SQLITE_READONLY")) return false;
  // The -wal or -shm read-only (root's, say) makes every connection read-only too.
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      accessSync(path + suffix, constants.W_OK);
    } catch (denied) {
      if (suffix === "" || denied.code !== "ENOENT") return true;
    }
  }
  return false; // writable again: a connection opened read-only must be replaced
}

/**
 * Whether the database file or its WAL is within 1 MiB of the process's file-size limit
 * (RLIMIT_FSIZE), where a write fails with EFBIG, which SQLite calls SQLITE_IOERR_WRITE: a full
 * disk, as src/node/file-size-limit.ts tells the app's connections.
 */
function atFileSizeLimit() {
  try {
    const limit = Number(
      /^Max file size\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1],
    );
    if (!Number.isSafeInteger(limit)) return false; // unlimited
    const largest = Math.max(
      ...["", "-wal"].map(
        (suffix) => statSync(path + suffix, { throwIfNoEntry: false })?.size ?? 0,
      ),
    );
    return limit - largest < 1024 * 1024;
  } catch {
    return false; // not Linux: no limit to read
  }
}

/** After a failure the connection is opened afresh: it may hold a stale view of the file. */
function forgetConnection() {
  checkpoint = null;
  try {
    connection?.close();
  } catch {
    // Already unusable; dropping it is all that is left to do.
  }
  connection = null;
}

const timer = setInterval(() => {
  try {
    checkpoint ??= prepareCheckpoint();
    const [busy, walFrames, copiedFrames] = checkpoint.get([]);
    if (walFrames === -1) {
      // Busy with no counts: another connection holds the checkpoint lock (its own checkpoint
      // past the connections' threshold, or a TRUNCATE at close). Not a failure: next tick.
      if (busy === 1) {
        parentPort?.postMessage({ kind: "deferred" });
        return;
      }
      // -1 without busy: this connection does not see a WAL database (any more).
      throw Object.assign(new Error("not a WAL database"), { code: "NOT_WAL" });
    }
    parentPort?.postMessage({ kind: "checkpointed", busy, walFrames, copiedFrames });
  } catch (error) {
    // An I/O error, a file that is not (yet) a WAL database: reported, and tried again next time.
    // A full disk, or a file still read-only to this process, leaves the connection as good as a
    // new one; a closed one's memory and file handles stay until its statements are
    // garbage-collected, which made one more every tick for as long as the fault lasted.
    if (!keepsConnection(error)) forgetConnection();
    parentPort?.postMessage({ kind: "failed", error: error.code ?? error.name });
  }
}, intervalMs);

parentPort?.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  forgetConnection();
  parentPort?.close();
});
