/*
 * Preloaded into `npm run serve` (NODE_OPTIONS=--require) by a test: each `PRAGMA synchronous = …`
 * any connection of any of its processes and threads runs is appended to RECORD_SYNCHRONOUS_LOG,
 * a line each: who ran it (`primary`, `worker` for a cluster's HTTP worker, `thread` for a worker
 * thread such as the WAL checkpointer), its pid, and the statement. The statements still run.
 */
const cluster = require("node:cluster");
const { appendFileSync } = require("node:fs");
const { isMainThread } = require("node:worker_threads");
const Database = require("libsql");

const log = process.env.RECORD_SYNCHRONOUS_LOG;
const who = !isMainThread ? "thread" : cluster.isWorker ? "worker" : "primary";
const record = (sql) => {
  if (log && /^\s*PRAGMA\s+synchronous\s*=/i.test(sql)) {
    appendFileSync(log, `${who} ${process.pid} ${sql.trim()}\n`);
  }
};
for (const method of ["exec", "prepare"]) {
  const original = Database.prototype[method];
  Database.prototype[method] = function (sql, ...rest) {
    record(String(sql));
    return original.call(this, sql, ...rest);
  };
}
