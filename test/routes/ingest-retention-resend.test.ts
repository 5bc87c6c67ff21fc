import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, callJson } from "../support/http";
import { chunk, customerRow } from "../support/ingest";
import { expectProblem } from "../support/problem";

const AUTH = { Authorization: "Bearer test-ingest-token" };
const DAY_MS = 86_400_000;

async function report(jobId: string) {
  return callJson<{ done: boolean; customers: Record<string, number> }>(`/ingest/jobs/${jobId}`, {
    headers: AUTH,
  });
}

async function waitForJob(jobId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await report(jobId);
    if (status === 200 && body.done) return body;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} not done: ${status} ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/*
 * A job past INGEST_RETENTION_DAYS that the hourly sweep has not reached yet answers 404
 * (src/db/ingest-retention.ts jobPastRetention). The script sending its chunks again — a re-run
 * under the same job id, or a send retried after a long outage — is accepted 202; the job it polls
 * must then be known again, not 404 for good. docs/ingestion.md#retention: sending chunks under
 * that job id again starts the job afresh, and a new chunk renews its activity.
 */
describe("a job past its retention, not yet swept, sent again", () => {
  it("is known again once the same chunk is accepted a second time", async () => {
    const jobId = "job-retention-resend";
    const first = chunk(jobId, 0, "customers", [customerRow(9871)]);
    const send = () => call("/ingest/batches", { body: { messages: [first] }, headers: AUTH });
    expect((await send()).status).toBe(202);
    await waitForJob(jobId);

    await ageJob(jobId);
    expect((await report(jobId)).status).toBe(404);

    expect((await send()).status).toBe(202);
    // A 202 is committed: the registration renewed the job's activity at once.
    expect((await report(jobId)).status).toBe(200);
    expect((await waitForJob(jobId)).customers).toMatchObject({ chunks: 1, landed: 1 });
  });

  it("refuses another chunk under a registered seq with 409 naming the job_id and its retention", async () => {
    // The job answers 404, yet its chunks are still there until the sweep deletes them: "already
    // registered in this job" named a job the report says is unknown, and the seq, which is not
    // what the sender must change.
    const jobId = "job-retention-conflict";
    const send = (messages: unknown[]) =>
      call("/ingest/batches", { body: { messages }, headers: AUTH });
    expect((await send([chunk(jobId, 0, "customers", [customerRow(9875)])])).status).toBe(202);
    await waitForJob(jobId);
    await ageJob(jobId);
    expect((await report(jobId)).status).toBe(404);

    const other = chunk(jobId, 0, "customers", [customerRow(9876)]);
    const refused = await expectProblem(await send([other]), 409);
    expect(refused.errors).toEqual([
      {
        field: "messages.0.job_id",
        message:
          "names a job past its retention (INGEST_RETENTION_DAYS) that is not yet deleted: send it under a new job_id",
      },
    ]);
    expect((await report(jobId)).status).toBe(404);
  });
});

/** Moves the job's last activity to 91 days ago: past the default 90 days, before any sweep. */
async function ageJob(jobId: string) {
  const aged = new Date(Date.now() - 91 * DAY_MS).toISOString();
  await backend().query("UPDATE ingest_chunks SET updated_at = ? WHERE job_id = ?", [aged, jobId]);
}
