/*
 * Preloaded into `npm run serve` (NODE_OPTIONS=--require) by a test: the cluster's first HTTP
 * worker exits 200 ms after it listens, while the second holds its listen back 3 s, so the first
 * dies while the cluster is still starting. Replacements (worker 3 on) start as usual.
 */
const cluster = require("node:cluster");
const net = require("node:net");

if (cluster.isWorker && process.env.CRASH_FIRST_WORKER_WHILE_STARTING === "true") {
  const listen = net.Server.prototype.listen;
  if (cluster.worker.id === 1) {
    net.Server.prototype.listen = function (...args) {
      this.once("listening", () => setTimeout(() => process.exit(3), 200));
      return listen.apply(this, args);
    };
  } else if (cluster.worker.id === 2) {
    net.Server.prototype.listen = function (...args) {
      setTimeout(() => listen.apply(this, args), 3_000);
      return this;
    };
  }
}
