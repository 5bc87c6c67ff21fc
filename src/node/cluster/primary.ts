import cluster, { type Address, type Worker } from "node:cluster";
import { log } from "../../lib/log";
import { monotonicNow } from "../../lib/monotonic-clock";
import { MemoryRateLimiter } from "../../lib/security/rate-limit";
import { localUrl } from "../../lib/url-host";
import { openRuntime, type Runtime } from "../runtime";
import { QUEUE_GRACE_MS, REQUEST_GRACE_MS, StartStoppedError } from "../server";
import type { ServerSettings } from "../settings";
import { type Answers, ClusterChannel, type PrimaryAsks, type WorkerAsks } from "./ipc";
import { clusterMetrics, RetiredTotals } from "./metrics-sum";
import { workerExecArgv } from "./worker-flags";

/*
 * `npm run serve` on every core: this process migrates the database once, then forks
 * `settings.webConcurrency` HTTP workers (src/node/cluster/worker.ts) that share its port. It
 * serves no HTTP itself; it owns what must be one across processes: the durable ingest queue and
 * its consumer, the write rate limiter (a client's keep-alive connection stays on one worker, so
 * the limit cannot be split between them), the maintenance timer, and the sum of every process's
 * metrics. A worker that dies is forked again after a backoff, and so is one that stops answering
 * or does not listen within `settings.workerStartTimeoutSeconds` of its fork (killed first); when
 * this process dies, node:cluster ends its workers.
 */

export interface RunningCluster {
  url: string;
  /** The primary's runtime: database, queue, metrics (it serves no HTTP). */
  runtime: Runtime;
  /** Stops the workers (each finishes its requests), drains the queue, closes the database. */
  close: () => Promise<void>;
}

/** A worker that crashes again soon waits longer before it is replaced, up to this. */
const MAX_RESTART_DELAY_MS = 10_000;
const FIRST_RESTART_DELAY_MS = 250;
/** Crashes further apart than this do not add to the backoff. */
const CRASH_MEMORY_MS = 60_000;
/** A worker finishes its requests within REQUEST_GRACE_MS; past this it is killed. */
const WORKER_STOP_MS = REQUEST_GRACE_MS + 5_000;
/** How often each listening worker is asked whether its event loop still runs. */
const PING_INTERVAL_MS = 5_000;
/**
 * A worker that has left a ping unanswered for this many intervals (10–15 s) is stuck (a loop
 * that never ends, a deadlock): it is killed, and forked again as if it had crashed. No request
 * blocks a worker's event loop for more than milliseconds (a write waits off it past 25 ms).
 */
const PINGS_MISSED = 3;
/**
 * How long a scrape waits for each worker's metrics (a healthy one answers in milliseconds); one
 * that does not answer in time counts as at its last scrape. A scrape waiting on a stuck worker
 * would otherwise outlast Prometheus' own timeout (10 s by default), every time.
 */
const METRICS_SNAPSHOT_TIMEOUT_MS = 2_000;

/**
 * `env` is what the workers parse their settings from (the primary's, with what it added). `stop`
 * ends a start still waiting for its workers as `close` ends a running cluster (a signal used to
 * kill this process then, and node:cluster cut the requests of the workers already serving).
 */
export async function startClusterPrimary(
  settings: ServerSettings,
  env: Record<string, string | undefined>,
  stop?: AbortSignal,
): Promise<RunningCluster> {
  const runtime = await openRuntime(settings, { bulkWriter: true, confirmWritable: true });
  if (stop?.aborted) {
    await runtime.close();
    throw new StartStoppedError("stopped before its HTTP workers were forked");
  }
  const limiter = new MemoryRateLimiter(settings.rateLimitPerMinute);
  const channels = new Map<Worker, ClusterChannel<PrimaryAsks, WorkerAsks>>();
  const totals = new RetiredTotals();

  const answer = async (request: WorkerAsks): Promise<Answers[WorkerAsks["kind"]]> => {
    switch (request.kind) {
      case "rate-limit":
        return limiter.limit({ key: request.key });
      case "ingest":
        // Stored before it resolves: the worker's 202 follows the commit.
        await runtime.queue.sendBatch(request.messages);
        return null;
      case "metrics":
        // Only workers that listen: one still starting has counted nothing, and may not read its
        // channel yet, so asking it would hold the scrape for the ask's whole timeout.
        return clusterMetrics(
          (await runtime.metrics?.registry.getMetricsAsJSON()) ?? [],
          [...channels].filter(([worker]) => listeningWorkers.has(worker)),
          totals,
          METRICS_SNAPSHOT_TIMEOUT_MS,
        );
    }
  };

  cluster.setupPrimary({
    serialization: "advanced",
    execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS),
  });
  let stopping = false;
  const startTimeoutMs = settings.workerStartTimeoutSeconds * 1000;
  const fork = (): Worker => {
    const worker = cluster.fork(env);
    forkedAt.set(worker, monotonicNow());
    worker.once("listening", () => listeningWorkers.add(worker));
    const channel = new ClusterChannel<PrimaryAsks, WorkerAsks>(
      (message) => worker.send(message),
      answer,
    );
    channels.set(worker, channel);
    worker.on("message", (message) => channel.receive(message));
    // A send to a worker that has just died: its exit is handled below.
    worker.on("error", () => undefined);
    worker.once("exit", () => {
      channels.delete(worker);
      channel.close("the worker has gone");
      totals.retire(worker);
    });
    return worker;
  };

  let crashes: number[] = [];
  /** The backoff before a replacement: doubling for each exit within CRASH_MEMORY_MS. */
  const restartDelayMs = (): number => {
    const now = monotonicNow();
    crashes = [...crashes.filter((at) => now - at < CRASH_MEMORY_MS), now];
    return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (crashes.length - 1));
  };

  /**
   * The address once `worker` listens. One killed for missing its start deadline is replaced
   * (after the backoff) and its replacement waited for: a stall may pass. One that exits on its
   * own (a port in use, a database it cannot open) ends the start.
   */
  const started = async (worker: Worker): Promise<Address> => {
    judgedByStart.add(worker);
    try {
      return await listening(worker);
    } catch (error) {
      if (stopping || !startTimedOut.has(worker)) throw error;
      const delayMs = restartDelayMs();
      logReplacement(worker, null, "SIGKILL", delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      // Another worker's failure ended the start meanwhile.
      if (stopping) throw error;
      return started(fork());
    }
  };

  const restarts = new Set<ReturnType<typeof setTimeout>>();
  // Watched from the first fork: a worker that crashed after it listened, while another was still
  // starting, was never replaced. One of the start's that never listened is `started`'s to judge.
  cluster.on("exit", (worker, code, signal) => {
    if (stopping || (judgedByStart.has(worker) && !listeningWorkers.has(worker))) return;
    const delayMs = restartDelayMs();
    logReplacement(worker, code, signal, delayMs);
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delayMs);
    restarts.add(timer);
  });

  // From the first fork: a worker that hangs while the cluster starts would hold the start for ever.
  const stopWatching = watchWorkers(channels, () => stopping, startTimeoutMs);
  /** Each worker finishes its requests and exits; then the queue drains and the database closes. */
  const shutDown = async (queueGraceMs?: number): Promise<void> => {
    stopping = true;
    stopWatching();
    for (const timer of restarts) clearTimeout(timer);
    await Promise.all([...channels.keys()].map((worker) => stopWorker(worker, channels)));
    // The workers are gone: nothing sends any more, and this is the database's last connection.
    await runtime.close(queueGraceMs);
  };
  let address: Address | undefined;
  const startOver = new AbortController();
  try {
    const workers = Array.from({ length: settings.webConcurrency }, fork);
    [address] = await Promise.race([
      Promise.all(workers.map(started)),
      whenAborted(stop, startOver),
    ]);
  } catch (error) {
    await shutDown(stop?.aborted ? QUEUE_GRACE_MS : undefined);
    // Asked after the workers are gone: a signal to the whole group (Ctrl-C) also ends the workers
    // still starting, whose exits the primary may see before its own signal.
    if (stop?.aborted) throw new StartStoppedError("stopped while its HTTP workers were starting");
    throw error;
  } finally {
    startOver.abort();
  }

  let closing: Promise<void> | null = null;
  return {
    url: localUrl(address?.address ?? settings.host, address?.port ?? settings.port),
    runtime,
    close: () => {
      closing ??= shutDown(QUEUE_GRACE_MS);
      return closing;
    },
  };
}

/** Rejects once `stop` aborts; forgets it once `done` does (the start is over). */
function whenAborted(stop: AbortSignal | undefined, done: AbortController): Promise<never> {
  return new Promise((_, reject) => {
    if (stop?.aborted) reject(new StartStoppedError("stopped"));
    stop?.addEventListener("abort", () => reject(new StartStoppedError("stopped")), {
      once: true,
      signal: done.signal,
    });
  });
}

function logReplacement(
  worker: Worker,
  code: number | null,
  signal: string | null,
  delayMs: number,
): void {
  log("error", "an HTTP worker exited; forking another", {
    pid: worker.process.pid,
    code,
    signal,
    delay_ms: delayMs,
  });
}

/** The workers killed because they did not listen within their start's deadline. */
const startTimedOut = new WeakSet<Worker>();

/**
 * The workers the cluster's start waits for (`started`): an exit before they listen is the start's
 * to judge, not the replacing watch's.
 */
const judgedByStart = new WeakSet<Worker>();

/** When each worker was forked, by this process's monotonic clock. */
const forkedAt = new WeakMap<Worker, number>();

/**
 * An HTTP worker exited before it listened; it printed its own reason, and its exit code says
 * whether a restart may help (src/node/exit-codes.ts).
 */
export class WorkerStartError extends Error {
  override name = "WorkerStartError";

  constructor(
    readonly workerExitCode: number | null,
    signal: string | null,
  ) {
    super(`an HTTP worker exited while starting (code ${workerExitCode}, signal ${signal})`);
  }
}

/** Resolves with the shared address once the worker listens; rejects if it exits before. */
function listening(worker: Worker): Promise<Address> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null, signal: string | null) =>
      reject(new WorkerStartError(code, signal));
    worker.once("exit", exited);
    worker.once("listening", (address) => {
      worker.off("exit", exited);
      resolve(address);
    });
  });
}

/** The workers that have started listening, and so have requests of their own to finish. */
const listeningWorkers = new WeakSet<Worker>();

/**
 * Pings every listening worker each PING_INTERVAL_MS; one that leaves a ping unanswered for
 * PINGS_MISSED intervals is killed (SIGKILL), and the cluster's exit handler forks its
 * replacement. A stuck worker is alive, so nothing else would notice: node:cluster kept handing it
 * connections, which were never answered, and a liveness probe reaching the other worker said all
 * was well. A worker not listening yet is killed the same way once it has been starting for
 * `startTimeoutMs`, checked at each interval: stuck starting (a disk stall, a native call that
 * never returns, a remote database holding the connection open), it is never pinged, and the
 * cluster would wait for it for ever at its start, or run a worker short after a replacement that
 * hung. Intervals are counted, not a timeout's wall-clock time: were this process itself paused
 * (stopped, a suspended VM), every timeout would expire at once when it ran again, before it read
 * the answers waiting in its channels, and it would kill healthy workers; a pause counts as one
 * interval, in a start's time too (a starting worker's listen waits for this process's answer).
 * Returns the function that stops the pings.
 */
export function watchWorkers(
  channels: Map<Worker, ClusterChannel<PrimaryAsks, WorkerAsks>>,
  stopping: () => boolean,
  startTimeoutMs: number,
): () => void {
  /** Intervals since the ping a worker has not answered yet was sent. */
  const unanswered = new WeakMap<Worker, number>();
  /** How long each worker not listening yet has been starting, as counted at each interval. */
  const starting = new WeakMap<Worker, number>();
  let lastTick = monotonicNow();
  const timer = setInterval(() => {
    const now = monotonicNow();
    const tick = Math.min(now - lastTick, PING_INTERVAL_MS);
    lastTick = now;
    for (const [worker, channel] of channels) {
      if (stopping()) continue;
      if (!listeningWorkers.has(worker)) {
        // Forked since the last interval: the time since its fork (a pause counted as one interval).
        const before = starting.get(worker);
        const waited =
          before === undefined
            ? Math.min(now - (forkedAt.get(worker) ?? now), tick)
            : before + tick;
        starting.set(worker, waited);
        if (waited < startTimeoutMs || worker.isDead() || startTimedOut.has(worker)) continue;
        log("error", "an HTTP worker did not listen in time after its start; killing it", {
          pid: worker.process.pid,
          start_timeout_ms: startTimeoutMs,
        });
        startTimedOut.add(worker);
        worker.process.kill("SIGKILL");
        continue;
      }
      const missed = unanswered.get(worker);
      if (missed === undefined) {
        unanswered.set(worker, 0);
        // Failed (its channel closed: it exited; or this process was paused past the ask's own
        // timeout): the next interval asks again, and an exit is the exit handler's business.
        const answered = () => unanswered.delete(worker);
        channel.ask({ kind: "ping" }).then(answered, answered);
      } else if (missed + 1 < PINGS_MISSED) {
        unanswered.set(worker, missed + 1);
      } else if (!worker.isDead()) {
        log("error", "an HTTP worker stopped answering; killing it", {
          pid: worker.process.pid,
          unanswered_ms: PINGS_MISSED * PING_INTERVAL_MS,
        });
        worker.process.kill("SIGKILL");
      }
    }
  }, PING_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Asks a worker to stop, waits for it to exit, kills it when it takes too long. A worker still
 * starting (a crashed one's replacement) gets SIGTERM instead: it may not read messages yet, so a
 * stop sent over IPC would be lost and the shutdown would wait for the kill, and it has no
 * connections to finish.
 */
async function stopWorker(
  worker: Worker,
  channels: Map<Worker, ClusterChannel<PrimaryAsks, WorkerAsks>>,
): Promise<void> {
  if (worker.isDead()) return;
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  try {
    if (listeningWorkers.has(worker)) channels.get(worker)?.stop();
    else worker.process.kill("SIGTERM");
  } catch {
    // Its channel is closed: it is on its way out.
  }
  const kill = setTimeout(() => worker.process.kill("SIGKILL"), WORKER_STOP_MS);
  await exited;
  clearTimeout(kill);
}
