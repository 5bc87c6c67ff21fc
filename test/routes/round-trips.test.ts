import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countingD1 } from "../support/counting-d1";
import { callJson, registerCustomer } from "../support/http";
import { seedLoan } from "../support/seed";

/** Runs one request against a D1 binding that counts the round trips reaching it. */
async function roundTripsOf(path: string, options: Parameters<typeof callJson>[1] = {}) {
  const { database, counter } = countingD1(env.DB);
  const response = await callJson(path, { ...options, env: { DB: database } });
  return { status: response.status, roundTrips: counter.roundTrips };
}

describe("D1 round trips per request", () => {
  it("stays within the budget on every endpoint", async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await seedLoan({
      customerId: customer_id,
      amount: 10_000,
      startDate: "2024-01-01",
      endDate: "2025-01-01",
      emisPaidOnTime: 12,
    });
    const loanBody = { customer_id, loan_amount: 50_000, interest_rate: 14, tenure: 24 };

    const measured = {
      register: await roundTripsOf("/register", {
        body: {
          first_name: "A",
          last_name: "B",
          age: 30,
          monthly_income: 40_000,
          phone_number: 7_000_000_123,
        },
      }),
      viewLoan: await roundTripsOf(`/view-loan/${loanId}`),
      viewLoans: await roundTripsOf(`/view-loans/${customer_id}`),
      checkEligibility: await roundTripsOf("/check-eligibility", { body: loanBody }),
      createLoan: await roundTripsOf("/create-loan", { body: loanBody }),
      createLoanWithKey: await roundTripsOf("/create-loan", {
        body: loanBody,
        headers: { "Idempotency-Key": "rt-1" },
      }),
      createLoanReplay: await roundTripsOf("/create-loan", {
        body: loanBody,
        headers: { "Idempotency-Key": "rt-1" },
      }),
      createLoanRefused: await roundTripsOf("/create-loan", {
        body: { ...loanBody, loan_amount: 900_000_000 },
      }),
    };

    expect(measured).toEqual({
      register: { status: 201, roundTrips: 1 },
      viewLoan: { status: 200, roundTrips: 1 },
      viewLoans: { status: 200, roundTrips: 1 },
      checkEligibility: { status: 200, roundTrips: 1 },
      createLoan: { status: 201, roundTrips: 2 },
      createLoanWithKey: { status: 201, roundTrips: 2 },
      createLoanReplay: { status: 201, roundTrips: 1 },
      createLoanRefused: { status: 200, roundTrips: 1 },
    });
  });
});
