/*
 * Preloaded into `npm run serve`'s primary (NODE_OPTIONS=--require) by a test: it stops each HTTP
 * worker (SIGSTOP) as soon as the worker asks node:cluster for the shared server, and prints a line
 * once the primary has answered it. A worker stopped there, whose primary is then killed, runs
 * again with the answer to read before it sees its channel closed: what it sends next hits a closed
 * pipe. Nothing in the workers: this is node:cluster's own protocol, seen from the primary.
 */
const cluster = require("node:cluster");

if (cluster.isPrimary) {
  cluster.on("fork", (worker) => {
    const child = worker.process;
    // Before node:cluster's own listener, which may answer at once.
    child.prependListener("internalMessage", (message) => {
      if (message?.cmd === "NODE_CLUSTER" && message.act === "queryServer") {
        process.kill(child.pid, "SIGSTOP");
        process.stderr.write(`test: worker ${child.pid} stopped\n`);
      }
    });
    const send = child.send;
    child.send = function sendAndTell(message, ...rest) {
      const sent = send.call(this, message, ...rest);
      if (message?.cmd === "NODE_CLUSTER" && message.ack !== undefined) {
        process.stderr.write(`test: worker ${child.pid} answered\n`);
      }
      return sent;
    };
  });
}
