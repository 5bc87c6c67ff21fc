// The WAL checkpointer's thread (started by src/node/wal-checkpointer.ts). Plain JavaScript: a
// worker thread gets no TypeScript loader under the test runner.
import { parentPort, workerData } from "node:worker_threads";
import Database from "libsql";

/** @type {{ path: string; intervalMs: number }} */
const { path, intervalMs } = workerData;
const connection = new Database(path);
/** Set up at the first tick that can: each step reads the file, which may be locked or broken. */
let checkpoint = null;

function prepareCheckpoint() {
  // A checkpoint syncs the WAL and the database file as the app's connections would.
  connection.exec("PRAGMA synchronous = NORMAL");
  // Never checkpoints on its own commits (it makes none): only when asked, below.
  connection.exec("PRAGMA wal_autocheckpoint = 0");
  // PASSIVE copies what no reader still needs and never waits for a lock: writers carry on.
  return connection.prepare("PRAGMA wal_checkpoint(PASSIVE)").raw(true);
}

const timer = setInterval(() => {
  try {
    checkpoint ??= prepareCheckpoint();
    const [busy, walFrames, copiedFrames] = /** @type {number[]} */ (checkpoint.get([]));
    parentPort?.postMessage({ kind: "checkpointed", busy, walFrames, copiedFrames });
  } catch (error) {
    // A lock another connection holds, an I/O error: reported, and tried again next time.
    parentPort?.postMessage({ kind: "failed", error: /** @type {Error} */ (error).name });
  }
}, intervalMs);

parentPort?.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  connection.close();
  parentPort?.close();
});
