import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, callJson } from "../support/http";
import { chunk, customerRow } from "../support/ingest";
import { loggedLines } from "../support/logged-lines";
import { expectProblem } from "../support/problem";

/*
 * POST /ingest/batches when Cloudflare Queues refuses the send (an overloaded or failing queue;
 * the chunks are already registered in D1). It answered 500 "Something went wrong on our side",
 * logged as an unhandled error, as for a bug: the send is safe to repeat, and says so now.
 */

const AUTH = { Authorization: "Bearer test-ingest-token" };

const refusingQueue = {
  sendBatch: () => Promise.reject(new Error("Queue sendBatch failed: Internal Server Error")),
} as unknown as Queue;

describe("the ingest endpoint when the queue refuses the send", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("answers 503 with Retry-After, and the same send is accepted and lands once the queue takes it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const messages = [chunk("job-queue-down", 0, "customers", [customerRow(7301)])];

    const refused = await call("/ingest/batches", {
      body: { messages },
      headers: AUTH,
      env: { INGEST_QUEUE: refusingQueue },
    });
    const body = await expectProblem(refused, 503);
    expect(body.type).toBe("/problems/service-unavailable");
    expect(body.detail).toBe(
      "The ingest queue refused this batch, so its chunks may not be queued: send the same batch again (a chunk that arrives twice lands once).",
    );
    expect(refused.headers.get("Retry-After")).toBe("1");
    expect(loggedLines(errors)).toEqual([
      expect.objectContaining({
        level: "error",
        what: "ingest queue refused the batch",
        error: "Error",
      }),
    ]);
    expect(JSON.stringify(errors.mock.calls)).not.toContain("First7301");

    const accepted = await call("/ingest/batches", { body: { messages }, headers: AUTH });
    expect(accepted.status).toBe(202);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const report = await callJson<{ done: boolean; customers: Record<string, number> }>(
        "/ingest/jobs/job-queue-down",
        { headers: AUTH },
      );
      if (report.body.done) {
        expect(report.body.customers).toMatchObject({ chunks: 1, received: 1, landed: 1 });
        break;
      }
      if (Date.now() > deadline) throw new Error(JSON.stringify(report.body));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stored = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM customers WHERE id = 7301",
    ).first<{
      n: number;
    }>();
    expect(stored?.n).toBe(1);
  });
});
