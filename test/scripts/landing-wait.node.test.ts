/*
 * The wait for a job's chunks to land (waitUntilLanded) fails when nothing moves, as when no queue
 * consumer runs. A chunk the consumer retries (its customers not stored yet, the database busy)
 * moves too: the consumer retries it up to 5 minutes apart (INGEST_RETRY_DELAY_SECONDS doubled per
 * delivery), and with a base of 5 s a loan of an unknown customer waited 155 s for its last
 * delivery, past the 120 s the script waited: the run failed "Is the Worker's queue consumer
 * running?" while the consumer was, and so did every rerun.
 */
import { describe, expect, it } from "vitest";
import type { IngestClient } from "../../scripts/lib/ingest-client";
import { Progress } from "../../scripts/lib/ingest-progress";
import { waitUntilLanded } from "../../scripts/lib/ingest-send";
import type { JobReport } from "../../src/ingest/job-report";

type Totals = JobReport["loans"];

function report(loans: Partial<Totals>): JobReport {
  const none = { chunks: 0, received: 0, landed: 0, rejected: 0, queued: 0, retrying: 0, dead: 0 };
  return {
    job_id: "job",
    done: false,
    customers: none,
    loans: { ...none, chunks: 2, received: 1000, ...loans },
    rejections: [],
    remapped_loans: [],
    dead_chunks: [],
  };
}

/** A server whose job report is `at(ms since the wait began)`. */
function serverAnswering(at: (elapsedMs: number) => JobReport): IngestClient {
  const started = Date.now();
  return { job: async () => at(Date.now() - started) } as unknown as IngestClient;
}

const progress = new Progress(() => undefined);

function wait(client: IngestClient, timing: { stallTimeoutMs: number; retryGapMs?: number }) {
  return waitUntilLanded({ client, jobId: "job", progress, ...timing }, "loans");
}

describe("waiting for the chunks to land", () => {
  it("keeps waiting while the consumer delivers a retrying chunk again, however long its retries take", async () => {
    // One chunk landed; the other is delivered every 200 ms (attempts 2, 3, …) and lands at 2 s.
    const client = serverAnswering((ms) =>
      ms >= 2_000
        ? report({ landed: 999, rejected: 1 })
        : report({ landed: 500, retrying: 500, attempts: 1 + 1 + Math.floor(ms / 200) }),
    );
    const job = await wait(client, { stallTimeoutMs: 600, retryGapMs: 0 });
    expect(job?.loans.landed).toBe(999);
  });

  it("gives a retrying chunk the consumer's longest retry delay, against a server that does not count attempts", async () => {
    const client = serverAnswering((ms) =>
      ms >= 700 ? report({ landed: 1000 }) : report({ landed: 500, retrying: 500 }),
    );
    const job = await wait(client, { stallTimeoutMs: 300, retryGapMs: 1_500 });
    expect(job?.loans.landed).toBe(1000);
  });

  it("still fails when a queued chunk is never delivered, or a retrying one no longer is", async () => {
    const queued = serverAnswering(() => report({ landed: 500, queued: 500, attempts: 1 }));
    const started = Date.now();
    await expect(wait(queued, { stallTimeoutMs: 300, retryGapMs: 60_000 })).rejects.toThrow(
      "no loans landed for 0.3 s (500 rows queued, 0 retrying). Is the Worker's queue consumer running?",
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    const stuck = serverAnswering(() => report({ landed: 500, retrying: 500, attempts: 7 }));
    await expect(wait(stuck, { stallTimeoutMs: 300, retryGapMs: 300 })).rejects.toThrow(
      /no loans landed for 0\.6 s \(0 rows queued, 500 retrying\)/,
    );
  });
});
