import { type Aggregator, AggregatorRegistry } from "prom-client";
import type { Answers } from "./ipc";

/*
 * The cluster's /metrics: the primary's registry and every HTTP worker's, added up, with what
 * workers that have exited had counted (src/node/cluster/primary.ts, docs/operations.md).
 */

type Snapshot = Answers["metrics-snapshot"];

/**
 * How the cluster's answer combines each gauge of its processes (counters and histograms are
 * summed). prom-client's own choices misled: it left the start time out, added up the fd limit,
 * and averaged event-loop lag, so one stuck worker among idle ones read as a third of its lag.
 * Counts and sizes are the cluster's; a limit is its tightest, a lag its worst process's, the open
 * fds the process nearest its limit's (a limit is per process), the start the oldest process's
 * (the primary's: the server's start). A gauge missing here fails cluster-metrics-aggregation's test.
 */
export const CLUSTER_GAUGES: Record<string, Aggregator> = {
  process_start_time_seconds: "min",
  process_resident_memory_bytes: "sum",
  process_virtual_memory_bytes: "sum",
  process_heap_bytes: "sum",
  process_open_fds: "max",
  process_max_fds: "min",
  nodejs_eventloop_lag_seconds: "max",
  nodejs_eventloop_lag_min_seconds: "min",
  nodejs_eventloop_lag_max_seconds: "max",
  nodejs_eventloop_lag_mean_seconds: "max",
  nodejs_eventloop_lag_stddev_seconds: "max",
  nodejs_eventloop_lag_p50_seconds: "max",
  nodejs_eventloop_lag_p90_seconds: "max",
  nodejs_eventloop_lag_p99_seconds: "max",
  nodejs_active_resources: "sum",
  nodejs_active_resources_total: "sum",
  nodejs_active_handles: "sum",
  nodejs_active_handles_total: "sum",
  nodejs_active_requests: "sum",
  nodejs_active_requests_total: "sum",
  nodejs_heap_size_total_bytes: "sum",
  nodejs_heap_size_used_bytes: "sum",
  nodejs_external_memory_bytes: "sum",
  nodejs_heap_space_size_total_bytes: "sum",
  nodejs_heap_space_size_used_bytes: "sum",
  nodejs_heap_space_size_available_bytes: "sum",
  nodejs_version_info: "first",
  ingest_queue_depth: "sum",
  database_writes_waiting: "sum",
};

/** A snapshot whose gauges carry the cluster's aggregation, which prom-client's sum reads. */
function withClusterAggregators(snapshot: Snapshot): Snapshot {
  return snapshot.map((metric) => {
    const aggregator = CLUSTER_GAUGES[metric.name];
    return aggregator === undefined ? metric : { ...metric, aggregator };
  });
}

/** What the sum needs of a worker: whether it has exited. */
interface CountedWorker {
  isDead(): boolean;
}

/** What the sum needs of a worker's channel: its metrics, within a timeout. */
interface SnapshotAsker {
  ask(request: { kind: "metrics-snapshot" }, timeoutMs: number): Promise<Snapshot>;
}

/**
 * What workers that have exited had counted, as of the last scrape that reached them. Summed
 * into every scrape, so that a crash does not take a worker's requests out of the totals: a
 * counter that falls reads to Prometheus as a reset, and `rate()` then counts every surviving
 * worker's total again as new requests.
 */
export class RetiredTotals {
  readonly #last = new Map<CountedWorker, Snapshot>();
  readonly #gone = new WeakSet<CountedWorker>();
  #retired: Promise<Snapshot> = Promise.resolve([]);

  /** The worker's counters and histograms as a scrape saw them (gauges die with it). */
  seen(worker: CountedWorker, snapshot: Snapshot): void {
    if (worker.isDead()) return; // retired while the scrape was in flight
    const kept = snapshot.filter((metric) =>
      ["counter", "histogram"].includes(String(metric.type)),
    );
    this.#last.set(worker, kept);
  }

  last(worker: CountedWorker): Snapshot {
    return this.#last.get(worker) ?? [];
  }

  retire(worker: CountedWorker): void {
    const last = this.#last.get(worker);
    this.#last.delete(worker);
    this.#gone.add(worker);
    if (!last) return;
    // Folded into one snapshot, so that a crash loop does not keep one per dead worker.
    this.#retired = this.#retired.then((retired) =>
      AggregatorRegistry.aggregate([retired, last]).getMetricsAsJSON(),
    );
  }

  /**
   * The retired totals with the answers of the workers not retired yet, read at one moment: a
   * worker that exits after it answered a scrape, while the scrape waits for another, is in the
   * retired totals by the time they are read, and its answer must not be added again.
   */
  async withLiving(answers: [CountedWorker, Snapshot][]): Promise<Snapshot[]> {
    const retired = this.#retired;
    const living = answers.filter(([worker]) => !this.#gone.has(worker));
    return [await retired, ...living.map(([, snapshot]) => snapshot)];
  }
}

/**
 * Every process's metrics as one: counters and histograms summed, as one scrape would, and each
 * gauge by CLUSTER_GAUGES.
 */
export async function clusterMetrics<W extends CountedWorker>(
  own: Snapshot,
  workers: [W, SnapshotAsker][],
  totals: RetiredTotals,
  timeoutMs: number,
): Promise<string> {
  // A worker that does not answer (it is dying) counts as at its last scrape.
  const answers = await Promise.all(
    workers.map(([worker, channel]) =>
      channel.ask({ kind: "metrics-snapshot" }, timeoutMs).then(
        (snapshot): [W, Snapshot] => {
          totals.seen(worker, snapshot);
          return [worker, snapshot];
        },
        (): [W, Snapshot] => [worker, totals.last(worker)],
      ),
    ),
  );
  const snapshots = [own, ...(await totals.withLiving(answers))];
  return AggregatorRegistry.aggregate(snapshots.map(withClusterAggregators)).metrics();
}
