import { describe, expect, it } from "vitest";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { ProblemError } from "../../src/lib/problem";
import { bookLoanRequest } from "../../src/routes/loans/book-loan";
import { backend } from "../support/backend";
import { expectBookingRefusedAsTooLong } from "../support/decisions";
import { call, registerCustomer } from "../support/http";
import { chunk, deliverOnce, loanRow } from "../support/ingest";
import { interleavedBatches } from "../support/interleaved-batches";
import { expectProblem } from "../support/problem";
import { seedWideRepaidLoans } from "../support/seed";

/*
 * One customer holds at most LOANS_PER_CUSTOMER_AT_MOST loans, booked or ingested. Ingestion held
 * it, but create-loan decided for a customer at exactly 5,000 loans and booked a 5,001st, after
 * which every create-loan for that customer was a 409; two bookings racing at 4,999 could both
 * land too. Now check-eligibility and create-loan answer a customer at the bound with the same
 * 409 `loan-history-too-long`, and the booking's guarded insert holds the bound against a
 * concurrent booking. On D1, libSQL and the Node server.
 */

const BOUND = LOANS_PER_CUSTOMER_AT_MOST;

/** Loan ids of their own, far from every other test file's. */
let nextLoanId = 9_007_199_000_000_000;

async function customerWithLoans(count: number): Promise<number> {
  const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
  const firstId = nextLoanId;
  nextLoanId += count + 1_000;
  await seedWideRepaidLoans(customer_id, firstId, count);
  return customer_id;
}

async function loanCount(customerId: number): Promise<number> {
  const [row] = await backend().query<{ n: number }>(
    "SELECT count(*) AS n FROM loans WHERE customer_id = ?",
    [customerId],
  );
  return Number(row?.n);
}

const request = (customer_id: number) => ({
  customer_id,
  loan_amount: 10_000,
  interest_rate: 14,
  tenure: 12,
});

describe("a customer at the bound on their loans", () => {
  it("is refused by create-loan, with and without a key, naming the count, and nothing is stored", async () => {
    const customerId = await customerWithLoans(BOUND);
    await expectBookingRefusedAsTooLong(request(customerId), BOUND);
    expect(await loanCount(customerId)).toBe(BOUND);
  });

  it("gets the same problem from check-eligibility", async () => {
    const customerId = await customerWithLoans(BOUND);
    const answer = await call("/check-eligibility", { body: request(customerId) });
    const problem = await expectProblem(answer, 409);
    expect(problem.type).toBe("/problems/loan-history-too-long");
    expect(problem.detail).toContain(`${BOUND} loans`);
    expect(answer.headers.get("retry-after")).toBeNull();
  });

  it("is reached by the booking of their 5,000th loan; the next booking and ingested loan are refused", async () => {
    const customerId = await customerWithLoans(BOUND - 1);
    const eligible = await call("/check-eligibility", { body: request(customerId) });
    expect(eligible.status).toBe(200);
    expect(((await eligible.json()) as { approval: boolean }).approval).toBe(true);
    expect((await call("/create-loan", { body: request(customerId) })).status).toBe(201);
    expect(await loanCount(customerId)).toBe(BOUND);

    await expectBookingRefusedAsTooLong(request(customerId), BOUND);
    // Ingestion counts the booked loan: a new workbook loan for the customer is rejected.
    const ingested = chunk(`bound-booked-${crypto.randomUUID()}`, 0, "loans", [
      loanRow(nextLoanId, customerId, { row: 2 }),
    ]);
    nextLoanId += 1;
    expect(await deliverOnce(backend().database(), ingested)).toEqual(["ack"]);
    expect(await loanCount(customerId)).toBe(BOUND);
  });

  it("holds against two bookings racing at 4,999 loans: one lands, the other is refused", async () => {
    const customerId = await customerWithLoans(BOUND - 1);
    const db = backend().database();
    const booking = {
      body: request(customerId),
      idempotency: null,
      asOfAt: () => "2026-12-05",
    };
    let other: Awaited<ReturnType<typeof bookLoanRequest>> | undefined;
    // Without a key the read is one statement and the write the first batch: the other booking
    // lands between this one's read (4,999 loans) and its write.
    const racing = interleavedBatches(db, {
      1: async () => {
        other = await bookLoanRequest(db, booking);
      },
    });

    const refused = await bookLoanRequest(racing, booking).then(
      () => null,
      (error: unknown) => error,
    );

    expect(other).toMatchObject({ status: 201 });
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).problem).toMatchObject({ kind: "loan-history-too-long" });
    expect(await loanCount(customerId)).toBe(BOUND);
  });
});
