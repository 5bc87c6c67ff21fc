import { describe, expect, it } from "vitest";
import { PACKED_LOANS_AT_MOST } from "../../src/db/loans";
import { upsertLoans } from "../../src/ingest/loan-upsert";
import type { IngestMessage } from "../../src/ingest/messages";
import { loanBoundReason } from "../../src/ingest/plan-loans";
import { runAtomically } from "../../src/ingest/store";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { backend } from "../support/backend";
import { call, callJson, registerCustomer } from "../support/http";
import { chunk, deliverOnce, loanRow } from "../support/ingest";
import { interleavedBatches } from "../support/interleaved-batches";
import { seedWideRepaidLoans } from "../support/seed";

/*
 * Ingestion bounds a customer's loans. create-loan refuses to decide for a customer with
 * LOANS_PER_CUSTOMER_AT_MOST loans and view-loans packs at most PACKED_LOANS_AT_MOST, but a workbook
 * (or any client of POST /ingest/batches) could land 50,000 loans on one customer: view-loans then
 * took 1.3-1.6 s and every create-loan for that customer was a 409. A loan row that would take a
 * customer past the bound is now rejected alone, naming the customer; a re-ingested loan is not a
 * new one and always lands; a customer stored past the bound before keeps every loan. The database
 * enforces it in the write itself (migrations/0011), so two chunks for one customer landing at once
 * cannot pass it together. On D1, libSQL and the Node server.
 */

const AUTH = { Authorization: "Bearer test-ingest-token" };

interface JobReport {
  done: boolean;
  loans: Record<string, number>;
  rejections: { row: number; column: string | null; reason: string; customer_id?: number }[];
  deferred_loans?: { seq: number; loan: unknown }[];
}

async function waitForJob(jobId: string, timeoutMs = 20_000): Promise<JobReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await callJson<JobReport>(`/ingest/jobs/${jobId}`, { headers: AUTH });
    if (status === 200 && body.done) return body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} not done: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function loanCount(customerId: number): Promise<number> {
  const [row] = await backend().query<{ n: number }>(
    "SELECT count(*) AS n FROM loans WHERE customer_id = ?",
    [customerId],
  );
  return Number(row?.n);
}

/**
 * A registered customer with `stored` workbook loans, Loan IDs `firstId` up; past the bound as a
 * database ingested before it holds them (seedWideRepaidLoans).
 */
async function customerWithLoans(firstId: number, stored: number): Promise<number> {
  const { customer_id } = await registerCustomer();
  await seedWideRepaidLoans(customer_id, firstId, stored);
  return customer_id;
}

async function send(messages: IngestMessage[]): Promise<void> {
  const response = await call("/ingest/batches", { body: { messages }, headers: AUTH });
  expect(response.status).toBe(202);
}

function boundRejection(row: number, customerId: number, loans: number) {
  return {
    row,
    column: "customer_id",
    customer_id: customerId,
    reason: loanBoundReason(customerId, loans),
  };
}

const BOUND = LOANS_PER_CUSTOMER_AT_MOST;

describe("the bound on a customer's loans at ingestion", () => {
  it("is the bound create-loan books within and view-loans packs within", () => {
    expect(BOUND).toBe(PACKED_LOANS_AT_MOST);
    expect(loanBoundReason(17, 5_000)).toBe(
      "customer 17 already has 5000 loans, the most one customer may hold, booked or ingested, so this loan is not ingested",
    );
  });

  it("rejects the row that would take a customer past it, alone; a re-ingested loan lands", async () => {
    const firstId = 71_000_000;
    const customerId = await customerWithLoans(firstId, BOUND - 2);
    const jobId = `bound-${crypto.randomUUID()}`;
    await send([
      chunk(jobId, 0, "loans", [
        loanRow(firstId, customerId, { row: 2 }), // stored: not a new loan
        loanRow(firstId + BOUND + 1, customerId, { row: 3 }),
        loanRow(firstId + BOUND + 2, customerId, { row: 4 }),
        loanRow(firstId + BOUND + 3, customerId, { row: 5 }),
      ]),
    ]);
    const report = await waitForJob(jobId);

    expect(report.loans).toMatchObject({ received: 4, landed: 3, rejected: 1, dead: 0 });
    expect(report.rejections).toEqual([
      expect.objectContaining(boundRejection(5, customerId, BOUND)),
    ]);
    expect(await loanCount(customerId)).toBe(BOUND);
    const [reingested] = await backend().query<{ loan_amount_paise: number }>(
      "SELECT loan_amount_paise FROM loans WHERE id = ?",
      [firstId],
    );
    expect(reingested?.loan_amount_paise).toBe(10_000_000); // the row's terms, applied

    // The same chunk again, in another job: every loan it landed is stored, so each lands again.
    const rerun = `bound-${crypto.randomUUID()}`;
    await send([
      chunk(rerun, 0, "loans", [
        loanRow(firstId, customerId, { row: 2 }),
        loanRow(firstId + BOUND + 1, customerId, { row: 3 }),
        loanRow(firstId + BOUND + 2, customerId, { row: 4 }),
        loanRow(firstId + BOUND + 3, customerId, { row: 5 }),
      ]),
    ]);
    const again = await waitForJob(rerun);
    expect(again.loans).toMatchObject({ received: 4, landed: 3, rejected: 1 });
    expect(await loanCount(customerId)).toBe(BOUND);
  });

  it("leaves a customer stored past it as it is: stored loans land again, new ones are rejected", async () => {
    const firstId = 72_000_000;
    const customerId = await customerWithLoans(firstId, BOUND + 3);
    const jobId = `bound-past-${crypto.randomUUID()}`;
    await send([
      chunk(jobId, 0, "loans", [
        loanRow(firstId + BOUND + 2, customerId, { row: 2 }),
        loanRow(firstId + 10_000, customerId, { row: 3 }),
        loanRow(firstId + 1, customerId, { row: 4 }),
      ]),
    ]);
    const report = await waitForJob(jobId);

    expect(report.loans).toMatchObject({ received: 3, landed: 2, rejected: 1 });
    expect(report.rejections).toEqual([
      expect.objectContaining(boundRejection(3, customerId, BOUND + 3)),
    ]);
    expect(await loanCount(customerId)).toBe(BOUND + 3);
  });

  it("holds for two chunks of one customer landing at once: the later write plans again", async () => {
    const firstId = 73_000_000;
    const customerId = await customerWithLoans(firstId, BOUND - 1);
    const a = chunk(`bound-a-${crypto.randomUUID()}`, 0, "loans", [
      loanRow(firstId + 20_000, customerId, { row: 2 }),
    ]);
    const b = chunk(`bound-b-${crypto.randomUUID()}`, 0, "loans", [
      loanRow(firstId + 20_001, customerId, { row: 2 }),
    ]);
    let other: string[] = [];
    // A reads 4,999 loans; B lands its loan (the 5,000th) before A writes the one A planned.
    const racing = interleavedBatches(backend().database(), {
      2: async () => {
        other = await deliverOnce(backend().database(), b);
      },
    });

    expect(await deliverOnce(racing, a)).toEqual(["ack"]);

    expect(other).toEqual(["ack"]);
    expect(await loanCount(customerId)).toBe(BOUND);
    const reportA = await waitForJob(a.job_id);
    expect(reportA.loans).toMatchObject({ received: 1, landed: 0, rejected: 1 });
    expect(reportA.rejections).toEqual([
      expect.objectContaining(boundRejection(2, customerId, BOUND)),
    ]);
    expect((await waitForJob(b.job_id)).loans).toMatchObject({ landed: 1, rejected: 0 });
  });

  it("takes a deferred row sent again and rejected for it off the deferred list: counted once, as rejected", async () => {
    // A row deferred (its Loan ID is another customer's stored loan) meets the bound when it is
    // sent again. Rejected then, it used to stay in deferred_loans and in loans.deferred for good
    // (the list clears only once its loan is stored), counted both rejected and still waiting.
    const firstId = 75_000_000;
    const customerId = await customerWithLoans(firstId, BOUND);
    const holder = await customerWithLoans(firstId + 50_000, 1);
    const jobId = `bound-deferred-${crypto.randomUUID()}`;
    const held = loanRow(firstId + 50_000, customerId, { row: 2 });
    await send([{ ...chunk(jobId, 0, "loans", [held]), defer_new_ids: true } as IngestMessage]);
    const deferred = await waitForJob(jobId);
    expect(deferred.loans).toMatchObject({ received: 1, landed: 0, rejected: 0, deferred: 1 });
    expect(deferred.deferred_loans).toEqual([{ seq: 0, loan: held }]);

    await send([chunk(jobId, 1, "loans", [held])]);
    const report = await waitForJob(jobId);

    expect(report.loans).toMatchObject({ received: 2, landed: 0, rejected: 1, deferred: 0 });
    expect(report.deferred_loans).toEqual([]);
    expect(report.rejections).toEqual([
      expect.objectContaining(boundRejection(2, customerId, BOUND)),
    ]);
    expect(await loanCount(customerId)).toBe(BOUND);
    expect(await loanCount(holder)).toBe(1);
  });

  it("does not count under it a row rejected because no loan id is left", async () => {
    // The loans table's largest id is 2^53 - 1, so a row that needs an id from the database is
    // rejected alone (migrations/0008). Its write past the bound was refused first (the bound's
    // trigger fires first), and the chunk planned again with the customer's 4,999 loans counted
    // took the 5,000th place for that row, which then took no place at all: the row after it, a
    // new loan under its own Loan ID with room for it, was rejected for the bound.
    const firstId = 76_000_000;
    const customerId = await customerWithLoans(firstId, BOUND - 1);
    const top = Number.MAX_SAFE_INTEGER;
    await backend().query(`UPDATE loans SET id = ${top} WHERE id = ${firstId}`);
    try {
      const jobId = `bound-no-id-${crypto.randomUUID()}`;
      await send([
        chunk(jobId, 0, "loans", [
          loanRow(firstId + 60_000, customerId, { row: 2, remap: true }),
          loanRow(firstId + 60_001, customerId, { row: 3 }),
        ]),
      ]);
      const report = await waitForJob(jobId);

      expect(report.loans).toMatchObject({ received: 2, landed: 1, rejected: 1, dead: 0 });
      expect(report.rejections).toEqual([expect.objectContaining({ row: 2, column: "loan_id" })]);
      expect(report.rejections[0]?.reason).toMatch(/^needs a new loan id, and none is left/);
      expect(await loanCount(customerId)).toBe(BOUND);
    } finally {
      await backend().query(`UPDATE loans SET id = ${firstId} WHERE id = ${top}`);
    }
  });

  it("is enforced by the database: a write past it is refused whole", async () => {
    const firstId = 74_000_000;
    const customerId = await customerWithLoans(firstId, BOUND);
    const db = backend().database();
    const past = loanRow(firstId + 30_000, customerId, { row: 2 });
    const stored = loanRow(firstId, customerId, { row: 3 });
    // Planned from a stale read: the new loan is written as if there were room.
    const write = runAtomically(
      db,
      upsertLoans(db, [
        { row: stored, id: null },
        { row: past, id: past.loan_id },
      ]),
    );
    await expect(write).rejects.toThrow();
    expect(await loanCount(customerId)).toBe(BOUND);
    // A re-ingested loan alone is an update, never refused.
    await runAtomically(db, upsertLoans(db, [{ row: stored, id: null }]));
    expect(await loanCount(customerId)).toBe(BOUND);
  });
});
