import { describe, expect, it } from "vitest";
import { bookLoanRequest } from "../../src/routes/loans/book-loan";
import { backend } from "../support/backend";
import { registerCustomer } from "../support/http";
import { interleavedBatches } from "../support/interleaved-batches";
import { expectContendedRetry } from "../support/problem";
import { seedLoan } from "../support/seed";

/*
 * create-loan re-decides a booking that the write-time guard refused, three attempts at most. With
 * an Idempotency-Key, what beat its last attempt may be a copy of the same request: that copy's
 * answer is the one to give, not a 409 saying nothing was booked.
 */

describe("a keyed booking that loses every attempt", () => {
  it("replays a copy of itself recorded during its last attempt instead of answering 409", async () => {
    // An EMI of ₹8,884.88 on a salary of ₹50,000 is approved; another current loan's ₹1,33,273
    // takes the EMIs over half the salary, and the guard refuses the booking.
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const request = {
      body: { customer_id, loan_amount: 100_000, interest_rate: 12, tenure: 12 },
      idempotency: { key: "copied-key", requestHash: "hash-of-copied-key" },
      asOfAt: () => "2025-06-15",
    };
    const db = backend().database();
    const { block, unblock } = blockingLoan(customer_id);
    // Batches: each attempt's read, then its write. Twice a loan lands between them and goes
    // before the next read; before the third write, a copy of the request books and stores its
    // answer.
    let copy: Awaited<ReturnType<typeof bookLoanRequest>> | undefined;
    const contended = interleavedBatches(db, {
      2: block,
      3: unblock,
      4: block,
      5: unblock,
      6: async () => {
        copy = await bookLoanRequest(db, request);
      },
    });

    const answer = await bookLoanRequest(contended, request);

    expect(copy).toMatchObject({ status: 201, replayed: false });
    expect(answer).toEqual({ status: 201, result: copy?.result, replayed: true });
    const booked = await backend().query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM loans WHERE customer_id = ?",
      [customer_id],
    );
    expect(Number(booked[0]?.n)).toBe(1);
  });

  it("answers a retryable 503 with Retry-After, not a 409, when no copy was recorded: the same key books it later", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const request = {
      body: { customer_id, loan_amount: 100_000, interest_rate: 12, tenure: 12 },
      idempotency: { key: "burst-booking-key", requestHash: "hash-of-burst-booking-key" },
      asOfAt: () => "2025-06-15",
    };
    const db = backend().database();
    const { block, unblock } = blockingLoan(customer_id);
    // A loan lands between each attempt's read and its write, and goes before the next read.
    const contended = interleavedBatches(db, {
      2: block,
      3: unblock,
      4: block,
      5: unblock,
      6: block,
    });

    await expectContendedRetry(bookLoanRequest(contended, request));
    await unblock();
    const retry = await bookLoanRequest(db, request);
    expect(retry).toMatchObject({ status: 201, replayed: false });
  });
});

/**
 * A ₹15,000 loan current on 2025-06-15 that block() books for the customer, taking their EMIs
 * over half the salary so the guard refuses, and unblock() deletes.
 */
function blockingLoan(customerId: number) {
  let loanId = 0;
  return {
    block: async () => {
      loanId = await seedLoan({
        customerId,
        amount: 1_500_000,
        startDate: "2025-01-15",
        endDate: "2026-01-15",
      });
    },
    unblock: () => backend().query("DELETE FROM loans WHERE id = ?", [loanId]),
  };
}
