/*
 * Preloaded into `npm run serve` (NODE_OPTIONS=--require) by a test: the HTTP workers whose starts
 * are listed in HANG_WORKER_STARTS (counted from 1 across the cluster's life, in the order the
 * workers reach this file, through files created in HANG_WORKER_DIR) hang before they listen, as a
 * worker stuck on a disk stall or in a native call that never returns does: the event loop
 * blocked, the IPC channel never read, alive. The others start normally. Nothing in the primary.
 */
const cluster = require("node:cluster");
const { openSync, closeSync } = require("node:fs");
const { join } = require("node:path");

if (cluster.isWorker && process.env.HANG_WORKER_DIR) {
  const hang = new Set((process.env.HANG_WORKER_STARTS ?? "").split(",").map(Number));
  let start = 1;
  for (; ; start++) {
    try {
      closeSync(openSync(join(process.env.HANG_WORKER_DIR, `start-${start}`), "wx"));
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
  }
  if (hang.has(start)) {
    process.stderr.write(`test: worker ${process.pid} hangs while starting (start ${start})\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
}
