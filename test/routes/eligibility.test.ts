import { describe, expect, it } from "vitest";
import { call, callJson, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedLoan } from "../support/seed";

interface Eligibility {
  customer_id: number;
  approval: boolean;
  interest_rate: number;
  corrected_interest_rate: number;
  tenure: number;
  monthly_installment: number;
  credit_score: number;
  score_breakdown: { component: string; points: number; max_points: number; detail: string }[];
  reasons: { code: string; message: string }[];
}

/** A customer earning ₹50,000 with a ₹1,00,000 loan at 12 % for 12 months from 2025-05-15. */
async function customerWithMonthOldLoan() {
  const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
  const loanId = await seedLoan({
    customerId: customer_id,
    amount: 100_000,
    rate: 12,
    tenure: 12,
    startDate: "2025-05-15",
    endDate: "2026-05-15",
  });
  return { customer_id, loanId };
}

async function check(body: Record<string, unknown>) {
  return callJson<Eligibility>("/check-eligibility", { body });
}

describe("POST /check-eligibility", () => {
  it("scores a new customer 40 and floors the rate at 12 %", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const { status, body } = await check({
      customer_id,
      loan_amount: 100_000,
      interest_rate: 10,
      tenure: 12,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      customer_id,
      approval: true,
      interest_rate: 10,
      corrected_interest_rate: 12,
      tenure: 12,
      monthly_installment: 8884.88,
      credit_score: 40,
      reasons: [],
    });
    expect(body.score_breakdown.reduce((sum, c) => sum + c.points, 0)).toBe(40);
  });

  it("uses the requested rate for a good history and keeps it when above the floor", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 100_000 });
    for (const year of [2019, 2020, 2021, 2022, 2023]) {
      await seedLoan({
        customerId: customer_id,
        amount: 800_000,
        tenure: 12,
        emisPaidOnTime: 12,
        startDate: `${year}-01-10`,
        endDate: `${year + 1}-01-10`,
      });
    }
    const { body } = await check({
      customer_id,
      loan_amount: 100_000,
      interest_rate: 9.5,
      tenure: 24,
    });
    expect(body.credit_score).toBe(100);
    expect(body).toMatchObject({
      approval: true,
      interest_rate: 9.5,
      corrected_interest_rate: 9.5,
    });
  });

  it("refuses when the current loans already exceed the limit, listing every reason, and still returns numbers", async () => {
    const { customer_id, approved_limit } = await registerCustomer({ monthly_income: 12_500 });
    await seedLoan({
      customerId: customer_id,
      amount: approved_limit + 1,
      tenure: 24,
      startDate: "2025-01-01",
      endDate: "2027-01-01",
      monthlyPayment: 1000,
    });
    const { status, body } = await check({
      customer_id,
      loan_amount: 10_000,
      interest_rate: 5,
      tenure: 36,
    });
    expect(status).toBe(200);
    expect(body.approval).toBe(false);
    expect(body.credit_score).toBe(0);
    expect(body.reasons.map((r) => r.code)).toEqual([
      "CURRENT_LOANS_OVER_LIMIT",
      "CREDIT_SCORE_TOO_LOW",
      "OVER_APPROVED_LIMIT",
    ]);
    expect(body.corrected_interest_rate).toBe(5);
    expect(body.monthly_installment).toBe(299.71);
    expect(body.score_breakdown.at(-1)?.component).toBe("current_loans_over_limit");
    expect(body.score_breakdown.reduce((sum, c) => sum + c.points, 0)).toBe(0);
  });

  it("refuses a loan whose EMIs would pass half the salary, at the corrected rate", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 20_000 });
    const { body } = await check({
      customer_id,
      loan_amount: 200_000,
      interest_rate: 1,
      tenure: 12,
    });
    expect(body.approval).toBe(false);
    expect(body.reasons.map((r) => r.code)).toEqual(["EMI_OVER_HALF_SALARY"]);
    expect(body.corrected_interest_rate).toBe(12);
  });

  it("counts only current loans for the limit: closed loans free it up", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 }); // limit 18 lakh
    await seedLoan({
      customerId: customer_id,
      amount: 1_700_000,
      tenure: 12,
      emisPaidOnTime: 12,
      startDate: "2020-01-01",
      endDate: "2021-01-01",
    });
    const current = await check({
      customer_id,
      loan_amount: 100_000,
      interest_rate: 12,
      tenure: 12,
    });
    expect(current.body.approval).toBe(true);
    await seedLoan({
      customerId: customer_id,
      amount: 1_700_000,
      tenure: 24,
      emisPaidOnTime: 5,
      startDate: "2025-01-01",
      endDate: "2027-01-01",
      monthlyPayment: 1,
    });
    const { body } = await check({
      customer_id,
      loan_amount: 100_001,
      interest_rate: 12,
      tenure: 12,
    });
    expect(body.reasons.map((r) => r.code)).toEqual(["OVER_APPROVED_LIMIT"]);
  });

  it("does not score an instalment as missed on its due date, while it can still be paid on time", async () => {
    // Period 1 falls due on the as-of date (2025-06-15); EMI 8,884.88.
    const { customer_id, loanId } = await customerWithMonthOldLoan();
    const request = { customer_id, loan_amount: 700_000, interest_rate: 10, tenure: 60 };
    const dueToday = await check(request);
    // 20 + 4 + 15 + 1: nothing missed yet, so the 12 % floor, whose EMI fits half the salary (at
    // 16 %, the band of a missed instalment, it did not).
    expect(dueToday.body.score_breakdown[0]).toMatchObject({ points: 20 });
    expect(dueToday.body).toMatchObject({
      credit_score: 40,
      approval: true,
      corrected_interest_rate: 12,
    });

    const paid = await callJson<{ on_time: boolean }>(`/make-payment/${customer_id}/${loanId}`, {
      body: { amount: 8884.88 },
    });
    expect(paid.body.on_time).toBe(true);
    const paidToday = await check(request);
    expect(paidToday.body.score_breakdown[0]).toMatchObject({ points: 40 });
    expect(paidToday.body).toMatchObject({ credit_score: 60, corrected_interest_rate: 10 });
  });

  it("keeps a late instalment as missed when the next one is paid on its due date", async () => {
    const { customer_id, loanId } = await customerWithMonthOldLoan();
    const pay = (asOf: string) =>
      callJson<{ period: number; on_time: boolean }>(`/make-payment/${customer_id}/${loanId}`, {
        body: { amount: 8884.88 },
        env: { AS_OF_DATE: asOf },
      });
    // Period 1 (due 06-15) paid late, period 2 paid on 07-15, its due date.
    expect((await pay("2025-06-20")).body).toMatchObject({ period: 1, on_time: false });
    expect((await pay("2025-07-15")).body).toMatchObject({ period: 2, on_time: true });
    const checked = await callJson<{ score_breakdown: { inputs: unknown }[] }>(
      "/check-eligibility",
      {
        body: { customer_id, loan_amount: 10_000, interest_rate: 12, tenure: 12 },
        env: { AS_OF_DATE: "2025-07-15" },
      },
    );
    // One of the two due was on time; the on-time count alone read "1 of 1".
    expect(checked.body.score_breakdown[0]?.inputs).toEqual({ emis_due: 2, emis_paid_on_time: 1 });
  });

  it("answers an unknown customer with 404", async () => {
    await expectProblem(
      await call("/check-eligibility", {
        body: { customer_id: 99_999_999, loan_amount: 1, interest_rate: 1, tenure: 1 },
      }),
      404,
    );
  });

  it.each([
    ["customer_id", { customer_id: 0 }],
    ["customer_id", { customer_id: 1.5 }],
    ["loan_amount", { loan_amount: 0 }],
    ["loan_amount", { loan_amount: 1_000_000_000.01 }],
    ["interest_rate", { interest_rate: -0.01 }],
    ["interest_rate", { interest_rate: 100.01 }],
    ["tenure", { tenure: 0 }],
    ["tenure", { tenure: 601 }],
    ["tenure", { tenure: 12.5 }],
  ])("rejects a bad %s with 400", async (field, patch) => {
    const body = { customer_id: 1, loan_amount: 1000, interest_rate: 10, tenure: 12, ...patch };
    await expectProblem(await call("/check-eligibility", { body }), 400, field);
  });

  it("accepts the boundary values", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 1_000_000_000 });
    const { status } = await check({
      customer_id,
      loan_amount: 1_000_000_000,
      interest_rate: 100,
      tenure: 600,
    });
    expect(status).toBe(200);
    const zeroRate = await check({ customer_id, loan_amount: 0.01, interest_rate: 0, tenure: 1 });
    expect(zeroRate.status).toBe(200);
  });
});

describe("a workbook loan recorded as repaid before its last due date", () => {
  // The lender's own workbook has four (loan 6063 of customer 198 among them): every EMI counted
  // paid on time, the last due date still to come. The loan is repaid, so it frees its room.
  async function customerWithLoanRepaidAhead() {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const loanId = await seedLoan({
      customerId: customer_id,
      amount: 1_700_000,
      rate: 12,
      tenure: 24,
      emisPaidOnTime: 24,
      startDate: "2024-12-15",
      endDate: "2026-12-15",
      // As ingestion stores it: the state's closed_on, its last due date (after the as-of date).
      closedOn: "2026-12-15",
    });
    return { customer_id, loanId };
  }

  it("is shown closed and not current", async () => {
    const { loanId } = await customerWithLoanRepaidAhead();
    const { body } = await callJson(`/view-loan/${loanId}`);
    expect(body).toMatchObject({
      status: "closed",
      closed_on: "2026-12-15",
      repayments_left: 0,
      is_current: false,
    });
  });

  it("counts toward neither the approved limit nor the 50 % rule, in the decision and the booking", async () => {
    const { customer_id } = await customerWithLoanRepaidAhead();
    const request = { customer_id, loan_amount: 200_000, interest_rate: 16, tenure: 12 };
    const { status, body } = await check(request);
    expect(status).toBe(200);
    expect(body.reasons).toEqual([]);
    expect(body.approval).toBe(true);
    // create-loan's guard in SQL reads the stored closed_on column: it must agree.
    const booked = await callJson<{ loan_approved: boolean }>("/create-loan", { body: request });
    expect(booked.status).toBe(201);
    expect(booked.body.loan_approved).toBe(true);
  });

  it("answers a payment that the loan is repaid, without dating the repayment in the future", async () => {
    const { customer_id, loanId } = await customerWithLoanRepaidAhead();
    const response = await call(`/make-payment/${customer_id}/${loanId}`, {
      body: { amount: 1_000 },
    });
    const problem = await expectProblem(response, 409);
    expect(problem).toMatchObject({ code: "LOAN_CLOSED", closed_on: "2026-12-15" });
    expect(problem.detail).toMatch(/repaid in full/);
    expect(problem.detail).not.toMatch(/was repaid in full on/);
  });
});
