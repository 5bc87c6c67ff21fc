import { describe, expect, it } from "vitest";
import { QUEUE_SETTINGS } from "../../src/ingest/queue";
import { createNodeMetrics } from "../../src/node/metrics";

/*
 * ingest_queue_depth's series, as every other product series, from the moment the registry
 * exists: the docs' metrics table and its drift check read the label values exposed at 0, and a
 * process that holds no queue (a cluster's HTTP worker) adds 0, not nothing, to the sum.
 */
describe("ingest_queue_depth", () => {
  it("exposes both queues at 0 before any queue is watched, then their depth", async () => {
    const metrics = createNodeMetrics();
    const depths = async () =>
      (await metrics.registry.getSingleMetric("ingest_queue_depth")?.get())?.values.map(
        ({ labels, value }) => `${labels.queue} ${value}`,
      );
    const ingest = QUEUE_SETTINGS.ingest.name;
    const dead = QUEUE_SETTINGS.deadLetters.name;
    expect((await depths())?.sort()).toEqual([`${ingest} 0`, `${dead} 0`]);

    metrics.watchQueue(ingest, () => 3);
    expect((await depths())?.sort()).toEqual([`${ingest} 3`, `${dead} 0`]);
  });
});
