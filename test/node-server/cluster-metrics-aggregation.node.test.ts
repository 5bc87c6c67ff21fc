import { describe, expect, it } from "vitest";
import { CLUSTER_GAUGES, clusterMetrics, RetiredTotals } from "../../src/node/cluster/metrics-sum";
import { createNodeMetrics } from "../../src/node/metrics";
import { parseExposition, samplesOf } from "../support/prometheus-text";

/*
 * What the cluster's /metrics says of a process's gauges when it adds up several processes: a
 * count or a size is the cluster's sum, but a limit, a start time and a lag are not. Three real
 * registries (the primary's and two workers'), with the values a scrape reads set by hand.
 */

type Snapshot = Awaited<
  ReturnType<ReturnType<typeof createNodeMetrics>["registry"]["getMetricsAsJSON"]>
>;

/** A process's snapshot with some gauges (unlabelled) set to the values given. */
async function processSnapshot(values: Record<string, number>): Promise<Snapshot> {
  const snapshot = await createNodeMetrics().registry.getMetricsAsJSON();
  for (const metric of snapshot) {
    const value = values[metric.name];
    if (value !== undefined) metric.values = [{ value, labels: {} }];
  }
  return snapshot;
}

const asker = (snapshot: Snapshot) => ({ ask: async () => snapshot });
const alive = { isDead: () => false };

async function scrape(primary: Snapshot, ...workers: Snapshot[]) {
  const text = await clusterMetrics(
    primary,
    workers.map((snapshot) => [{ ...alive }, asker(snapshot)] as const).map(([w, a]) => [w, a]),
    new RetiredTotals(),
    2_000,
  );
  const families = parseExposition(text);
  return (name: string) => samplesOf(families, name).map((sample) => sample.value);
}

describe("the cluster's /metrics, for the gauges of its processes", () => {
  it("gives the server's start, the tightest fd limit, the worst lag and the summed memory", async () => {
    const primary = await processSnapshot({
      process_start_time_seconds: 1_000,
      process_max_fds: 1_024,
      process_open_fds: 30,
      process_resident_memory_bytes: 50e6,
      nodejs_eventloop_lag_p99_seconds: 0.01,
      nodejs_eventloop_lag_max_seconds: 0.02,
      nodejs_eventloop_lag_seconds: 0.001,
      nodejs_eventloop_lag_mean_seconds: 0.01,
    });
    // A worker replaced after a crash (it started later), and one whose event loop is stuck.
    const idle = await processSnapshot({
      process_start_time_seconds: 1_500,
      process_max_fds: 1_024,
      process_open_fds: 20,
      process_resident_memory_bytes: 100e6,
      nodejs_eventloop_lag_p99_seconds: 0.01,
      nodejs_eventloop_lag_max_seconds: 0.02,
      nodejs_eventloop_lag_seconds: 0.001,
      nodejs_eventloop_lag_mean_seconds: 0.01,
    });
    const stuck = await processSnapshot({
      process_start_time_seconds: 1_001,
      process_max_fds: 1_024,
      process_open_fds: 1_000,
      process_resident_memory_bytes: 150e6,
      nodejs_eventloop_lag_p99_seconds: 3,
      nodejs_eventloop_lag_max_seconds: 4,
      nodejs_eventloop_lag_seconds: 2,
      nodejs_eventloop_lag_mean_seconds: 1.5,
    });
    const read = await scrape(primary, idle, stuck);

    expect.soft(read("process_start_time_seconds")).toEqual([1_000]);
    expect.soft(read("process_max_fds")).toEqual([1_024]);
    // The process nearest its own limit, which is what the limit is for (1000 of 1024).
    expect.soft(read("process_open_fds")).toEqual([1_000]);
    expect.soft(read("process_resident_memory_bytes")).toEqual([300e6]);
    expect.soft(read("nodejs_eventloop_lag_p99_seconds")).toEqual([3]);
    expect.soft(read("nodejs_eventloop_lag_max_seconds")).toEqual([4]);
    expect.soft(read("nodejs_eventloop_lag_seconds")).toEqual([2]);
    expect.soft(read("nodejs_eventloop_lag_mean_seconds")).toEqual([1.5]);
    expect.soft(read("nodejs_version_info")).toHaveLength(1);
  });

  it("has a deliberate aggregation for every gauge a process exposes", async () => {
    const gauges = (await createNodeMetrics().registry.getMetricsAsJSON())
      .filter((metric) => String(metric.type) === "gauge")
      .map((metric) => metric.name);
    expect(gauges.length).toBeGreaterThan(10);
    expect(gauges.filter((name) => !Object.hasOwn(CLUSTER_GAUGES, name))).toEqual([]);
  });
});
