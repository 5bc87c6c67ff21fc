/*
 * Preloaded into `npm run serve` (NODE_OPTIONS=--require) by a test: the cluster's second HTTP
 * worker never listens, as one still loading on a busy machine, so the cluster stays starting
 * while the first worker serves. It stays alive and reads its channel; a signal stops it.
 */
const cluster = require("node:cluster");
const net = require("node:net");

if (
  cluster.isWorker &&
  process.env.HOLD_SECOND_WORKER_LISTEN === "true" &&
  cluster.worker.id === 2
) {
  net.Server.prototype.listen = function holdListen() {
    process.stderr.write(`test: worker ${process.pid} holds its listen\n`);
    return this;
  };
}
