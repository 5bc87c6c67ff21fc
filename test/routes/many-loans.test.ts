import { describe, expect, it } from "vitest";
import { PACKED_LOANS_AT_MOST } from "../../src/db/loans";
import { backend } from "../support/backend";
import { expectBookingRefusedAsTooLong } from "../support/decisions";
import { call, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedWideRepaidLoans } from "../support/seed";

/*
 * view-loans, check-eligibility and create-loan read a customer's loans packed into one JSON
 * value, and D1 refuses any string SQLite builds past about 2 MB: a customer with some 12,000
 * loans got a 500 from all three on D1 (only there). Past PACKED_LOANS_AT_MOST view-loans reads
 * the loans as rows instead, on every runtime, and answers exactly as packed ones do;
 * check-eligibility and create-loan refuse such a customer on the count (the loan bound).
 */

/** Loan ids near the top of the range, so each packed loan is about as wide as one can be. */
let nextLoanId = 9_007_199_100_000_000;

/**
 * Gives the customer `count` repaid loans with wide values, their start dates spread over a week
 * against the order of their ids (so the order of the answer is the sort's, not the table's).
 * Returns their ids in view-loans' order: start date, then id.
 */
async function seedLoans(customerId: number, count: number): Promise<number[]> {
  const firstId = nextLoanId;
  nextLoanId += count + 1_000;
  await seedWideRepaidLoans(
    customerId,
    firstId,
    count,
    `date('1950-01-01', '+' || ((${count} - i) % 7) || ' days')`,
  );
  const ids = Array.from({ length: count }, (_, i) => firstId + i);
  const day = (id: number) => (count - (id - firstId)) % 7;
  return ids.sort((a, b) => day(a) - day(b) || a - b);
}

const request = (customer_id: number) => ({
  customer_id,
  loan_amount: 10_000,
  interest_rate: 14,
  tenure: 12,
});

async function viewLoans(customerId: number): Promise<{ loan_id: number }[]> {
  const response = await call(`/view-loans/${customerId}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { loan_id: number }[];
}

describe("a customer with more loans than one packed value holds", () => {
  it("answers view-loans, and refuses check-eligibility and create-loan, for a customer with 20,000 loans", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    const ids = await seedLoans(customer_id, 20_000);

    const listed = await viewLoans(customer_id);
    expect(listed.map((loan) => loan.loan_id)).toEqual(ids);

    // Past the bound on a customer's loans (stored before it held), check-eligibility and
    // create-loan refuse on the count alone, without reading the loans.
    const eligibility = await call("/check-eligibility", { body: request(customer_id) });
    expect((await expectProblem(eligibility, 409)).type).toBe("/problems/loan-history-too-long");
    await expectBookingRefusedAsTooLong(request(customer_id), 20_000);
  });

  it("lists loans read as rows exactly as packed ones, one past the bound", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    await seedLoans(customer_id, PACKED_LOANS_AT_MOST);
    const packed = await viewLoans(customer_id);

    // One more loan, dated before every other: it comes first, the rest as they were.
    const [extraId] = await seedLoans(customer_id, 1);
    await backend().query("UPDATE loans SET start_date = '1949-12-31' WHERE id = ?", [extraId]);
    const asRows = await viewLoans(customer_id);
    expect(asRows).toHaveLength(PACKED_LOANS_AT_MOST + 1);
    expect(asRows[0]?.loan_id).toBe(extraId);
    expect(asRows.slice(1)).toEqual(packed);
  });
});
