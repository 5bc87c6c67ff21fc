import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { clusterMetrics, RetiredTotals } from "../../src/node/cluster/metrics-sum";

/*
 * The cluster's sum of its processes' metrics, scrape after scrape, with a worker that exits
 * while a scrape waits for another: the totals a scraper reads never fall, since Prometheus reads
 * a fall as a counter reset and rate() then counts the whole total again as new requests.
 */

type Snapshot = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

/** A worker process as the sum sees it: a registry with a request counter, alive or not. */
function fakeWorker(requests: number) {
  const registry = new Registry();
  const counter = new Counter({ name: "requests_total", help: "Requests.", registers: [registry] });
  counter.inc(requests);
  let dead = false;
  /** When set, the next ask waits for this before it answers. */
  let held: Promise<void> | null = null;
  const worker = { isDead: () => dead };
  const channel = {
    ask: async (): Promise<Snapshot> => {
      if (dead) throw new Error("the worker has gone");
      const snapshot = await registry.getMetricsAsJSON();
      if (held) await held;
      return snapshot;
    },
  };
  return {
    worker,
    channel,
    die: () => {
      dead = true;
    },
    hold: () => {
      let release = () => {};
      held = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        held = null;
        release();
      };
    },
  };
}

const total = (text: string) => Number(/^requests_total (\S+)$/m.exec(text)?.[1]);

describe("the cluster's sum of /metrics", () => {
  it("counts a worker that exits while the scrape waits on another once, and never falls after", async () => {
    const totals = new RetiredTotals();
    const quick = fakeWorker(100);
    const slow = fakeWorker(50);
    const both = () =>
      [quick, slow].filter((w) => !w.worker.isDead()).map((w) => [w.worker, w.channel]) as [
        { isDead(): boolean },
        (typeof quick)["channel"],
      ][];
    expect(total(await clusterMetrics([], both(), totals, 2_000))).toBe(150);

    // The quick worker answers, then exits (a crash) before the slow one has answered.
    const release = slow.hold();
    const scrape = clusterMetrics([], both(), totals, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    quick.die();
    totals.retire(quick.worker);
    release();
    const during = total(await scrape);
    const after = total(await clusterMetrics([], both(), totals, 2_000));

    expect(during).toBe(150);
    expect(after).toBe(150);
  });

  it("keeps a worker that exits between scrapes at its last scrape's count", async () => {
    const totals = new RetiredTotals();
    const first = fakeWorker(7);
    const second = fakeWorker(5);
    const pairs = [first, second].map((w) => [w.worker, w.channel]) as [
      { isDead(): boolean },
      (typeof first)["channel"],
    ][];
    expect(total(await clusterMetrics([], pairs, totals, 2_000))).toBe(12);
    first.die();
    totals.retire(first.worker);
    expect(total(await clusterMetrics([], pairs.slice(1), totals, 2_000))).toBe(12);
  });
});
