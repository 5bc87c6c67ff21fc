import cluster from "node:cluster";
import type { AppBindings } from "../../http/app-env";
import { log } from "../../lib/log";
import { serviceUnavailableProblem } from "../../lib/problem";
import { openLibsqlDatabase } from "../database";
import { createNodeMetrics } from "../metrics";
import { nodeApp } from "../runtime";
import { type RunningServer, type ServedRuntime, serveRuntime } from "../server";
import type { ServerSettings } from "../settings";
import { ClusterChannel, NoAnswerError, type PrimaryAsks, type WorkerAsks } from "./ipc";

/*
 * One HTTP worker of `npm run serve`'s cluster: the same app over its own connection to the
 * database (WAL and the busy timeout let processes share the file; a write batch takes the lock
 * at BEGIN), listening on the port the primary shares out. What must be single across processes
 * lives in the primary and is asked for over IPC: the ingest queue (its 202 still means the chunk
 * is committed, since the primary replies after storing it), the write rate limiter, and the
 * metrics' sum. Migrations, the queue's consumer and the maintenance sweeps run in the primary.
 */

/** Serves until the primary says stop (or a signal comes), then exits 0; a second signal exits 1. */
export async function runClusterWorker(settings: ServerSettings): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error("a cluster worker needs the IPC channel to its primary");
  let server: RunningServer<ServedRuntime> | null = null;
  const metrics = settings.metrics ? createNodeMetrics() : null;
  const channel: ClusterChannel<WorkerAsks, PrimaryAsks> = new ClusterChannel(
    // A send that fails later (EPIPE: the primary was killed and this process has not yet seen
    // the disconnect) would otherwise be an 'error' nobody handles, and a stack trace.
    (message) =>
      send(message, undefined, {}, (error) => {
        if (error) channel.close("the cluster's primary has gone");
      }),
    async (request) => {
      if (request.kind === "ping") return null;
      return metrics ? await metrics.registry.getMetricsAsJSON() : [];
    },
  );
  process.on("message", (message) => channel.receive(message));
  // node:cluster exits a worker whose primary has gone; what waits for an answer fails first.
  process.on("disconnect", () => channel.close("the cluster's primary has gone"));
  // node:cluster's own messages (the "listening" one, sent when the server starts) go without a
  // callback: one that finds the primary killed fails with EPIPE as an 'error' of this worker,
  // which unhandled is a stack trace. The disconnect follows, and with it the exit.
  cluster.worker?.on("error", (error: NodeJS.ErrnoException) => {
    log("warn", "the cluster's primary has gone; this worker exits", { code: error.code });
    channel.close("the cluster's primary has gone");
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (!server) process.exit(0);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  channel.onStop(stop);
  // A Ctrl-C (or a closed terminal's SIGHUP) reaches the whole process group: each worker
  // finishes its own requests, whether the signal or the primary's stop comes first. A second
  // signal means now.
  let signalled = false;
  const onSignal = () => {
    if (signalled) process.exit(1);
    signalled = true;
    stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);

  const { db, close, fault, writesWaiting } = await openLibsqlDatabase(
    settings.databaseUrl,
    settings.databaseAuthToken,
    { synchronous: settings.databaseSynchronous },
  );
  metrics?.watchWritesWaiting(writesWaiting);
  const bindings: AppBindings = {
    INGEST_QUEUE: {
      sendBatch: (messages) =>
        channel
          .ask({ kind: "ingest", messages: [...messages] })
          .catch(primaryUnavailable(MAYBE_STORED)),
      // The primary's queue registers the chunks in the commit that stores them.
      registersChunks: true,
    },
    WRITE_RATE_LIMITER: {
      limit: ({ key }) =>
        channel.ask({ kind: "rate-limit", key }).catch(primaryUnavailable(NOT_DONE)),
    },
  };
  const app = nodeApp(
    settings,
    db,
    metrics && {
      metrics,
      exposition: {
        contentType: metrics.registry.contentType,
        metrics: () => channel.ask({ kind: "metrics" }).catch(primaryUnavailable(NO_METRICS)),
      },
    },
    fault,
  );
  const pid = String(process.pid);
  server = await serveRuntime(
    {
      fetch: async (request) => {
        const response = await app(request, bindings);
        if (!settings.workerPidHeader) return response;
        const marked = new Response(response.body, response);
        marked.headers.set("X-Worker-Pid", pid);
        return marked;
      },
      // The primary closes last and checkpoints the WAL; a worker's checkpoint would race it.
      close: async () => close({ checkpoint: false }),
    },
    settings,
  );
}

/** The rate limit is asked before any write: the request was not done. */
const NOT_DONE = "The server is restarting or overloaded and did not do this request: retry it.";
/** The cluster's metrics are summed by the primary; this worker's own would be a part of them. */
const NO_METRICS = "The server is restarting or overloaded and could not sum its metrics: retry.";
/**
 * The primary stores an ingest batch before it answers: one that died, or was stuck past the ask's
 * 30 s and carried on, may have stored it. Sending it again is safe (a redelivery).
 */
const MAYBE_STORED =
  "The server did not confirm this batch in time (restarting or overloaded); it may have stored this batch: send it again, which is safe.";

/**
 * The primary did not answer (killed, this worker about to exit with it; or stuck for the ask's
 * 30 s): a 503 to retry, not a 500, saying what may have been done.
 */
function primaryUnavailable(detail: string): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof NoAnswerError)) throw error;
    throw serviceUnavailableProblem(detail, 1);
  };
}
