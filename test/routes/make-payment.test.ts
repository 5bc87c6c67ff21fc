import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, callJson, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedLoan } from "../support/seed";
import { customerWithLoan, pay, statementOf, WORKED_LOAN } from "../support/servicing";

async function paymentsOf(loanId: number) {
  return backend().query<{ period: number; amount_paise: number }>(
    "SELECT period, amount_paise FROM payments WHERE loan_id = ? ORDER BY period",
    [loanId],
  );
}

describe("POST /make-payment/{customer_id}/{loan_id}", () => {
  it("settles the first period with exactly the EMI, on time, leaving the EMI unchanged", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const { status, body } = await pay(customerId, loanId, 8884.88);
    expect(status).toBe(201);
    expect(body).toEqual({
      payment_id: expect.any(Number),
      customer_id: customerId,
      loan_id: loanId,
      amount: 8884.88,
      paid_on: "2025-06-15",
      period: 1,
      due_date: "2025-06-30",
      installment_due: 8884.88,
      interest_paid: 1000,
      principal_paid: 7884.88,
      balance_after: 92115.12,
      on_time: true,
      monthly_installment: 8884.88,
      emi_recalculated: false,
      repayments_left: 11,
      status: "active",
      closed_on: null,
      next_due_date: "2025-07-31",
    });
    const loan = await callJson(`/view-loan/${loanId}`);
    expect(loan.body).toMatchObject({
      emis_paid_on_time: 1,
      repayments_left: 11,
      monthly_installment: 8884.88,
      status: "active",
    });
  });

  it("recalculates the EMI down after an overpayment and up after an underpayment", async () => {
    const over = await customerWithLoan();
    const overpaid = await pay(over.customerId, over.loanId, 10_000);
    expect(overpaid.body).toMatchObject({
      balance_after: 91_000,
      monthly_installment: 8777.32,
      emi_recalculated: true,
      on_time: true,
    });
    const under = await customerWithLoan();
    const underpaid = await pay(under.customerId, under.loanId, 5000);
    expect(underpaid.body).toMatchObject({
      balance_after: 96_000,
      monthly_installment: 9259.59,
      emi_recalculated: true,
      on_time: false,
    });
    const loans = await callJson<{ loan_id: number; monthly_installment: number }[]>(
      `/view-loans/${under.customerId}`,
    );
    expect(loans.body[0]?.monthly_installment).toBe(9259.59);
  });

  it("keeps an EMI of at least ₹0.01 when an overpayment leaves a few paise", async () => {
    // The payoff is ₹1,01,000: a paisa short leaves ₹0.01 over 11 periods, which re-amortises to
    // 0.00. Its periods asked for nothing and still fell overdue, unpaid.
    const { customerId, loanId } = await customerWithLoan();
    const paid = await pay(customerId, loanId, 100_999.99);
    expect(paid.body).toMatchObject({ balance_after: 0.01, monthly_installment: 0.01 });
    const { body } = await statementOf(customerId, loanId);
    expect(body.next_installment).toMatchObject({ amount_due: 0.01, payoff_amount: 0.01 });
    expect(body.schedule.map((row) => row.installment)).toEqual([100_999.99, 0.01]);
    expect(body.repayments_left).toBe(1);
  });

  it("refuses an amount below the period's interest with 422 and the interest due", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const response = await call(`/make-payment/${customerId}/${loanId}`, {
      body: { amount: 999.99 },
    });
    const problem = await expectProblem(response, 422, "amount");
    expect(problem).toMatchObject({ code: "AMOUNT_BELOW_INTEREST_DUE", interest_due: 1000 });
    expect(await paymentsOf(loanId)).toEqual([]);
  });

  it("refuses more than the payoff, closes the loan at exactly the payoff, then answers 409", async () => {
    const { customerId, loanId } = await customerWithLoan();
    await pay(customerId, loanId, 8884.88);
    const over = await call(`/make-payment/${customerId}/${loanId}`, {
      body: { amount: 93_036.28 },
    });
    expect(await expectProblem(over, 422, "amount")).toMatchObject({
      code: "AMOUNT_EXCEEDS_PAYOFF",
      payoff_amount: 93_036.27,
    });
    const payoff = await pay(customerId, loanId, 93_036.27);
    expect(payoff.status).toBe(201);
    expect(payoff.body).toMatchObject({
      period: 2,
      balance_after: 0,
      status: "closed",
      closed_on: "2025-06-15",
      repayments_left: 0,
      next_due_date: null,
      // The payoff differs from the instalment due, but a closed loan has no EMI to recompute.
      emi_recalculated: false,
    });
    const closed = await call(`/make-payment/${customerId}/${loanId}`, { body: { amount: 100 } });
    expect(await expectProblem(closed, 409)).toMatchObject({
      code: "LOAN_CLOSED",
      closed_on: "2025-06-15",
    });
    const statement = await statementOf(customerId, loanId);
    expect(statement.body).toMatchObject({
      amount_paid: 101_921.15,
      interest_paid: 1921.15,
      principal_paid: 100_000,
      outstanding_principal: 0,
      status: "closed",
      repayments_left: 0,
    });
    const loan = await callJson(`/view-loan/${loanId}`);
    expect(loan.body).toMatchObject({ status: "closed", is_current: false, repayments_left: 0 });
  });

  it("refuses a payment dated before the loan's start (the as-of date moved back), writing nothing", async () => {
    // Booked on the pinned as-of date; the deployment is then run on an earlier date.
    const { customer_id: customerId } = await registerCustomer();
    const booked = await callJson<{ loan_id: number; start_date: string }>("/create-loan", {
      body: { customer_id: customerId, loan_amount: 100_000, interest_rate: 12, tenure: 12 },
    });
    expect(booked.body.start_date).toBe("2025-06-15");
    const loanId = booked.body.loan_id;
    const early = { env: { AS_OF_DATE: "2025-06-14" } };
    for (const amount of [8884.88, 101_000]) {
      const refused = await call(`/make-payment/${customerId}/${loanId}`, {
        body: { amount },
        ...early,
      });
      expect(await expectProblem(refused, 409)).toMatchObject({
        type: "/problems/loan-not-started",
        code: "LOAN_NOT_STARTED",
        start_date: "2025-06-15",
      });
    }
    expect(await paymentsOf(loanId)).toEqual([]);
    // On the start date itself the loan exists: period 1 is paid on time.
    const onStart = await pay(customerId, loanId, 8884.88);
    expect(onStart.status).toBe(201);
    expect(onStart.body).toMatchObject({ paid_on: "2025-06-15", period: 1, on_time: true });
  });

  it("refuses a payment dated before the loan's latest payment (the as-of date moved back), writing nothing", async () => {
    const { customer_id: customerId } = await registerCustomer();
    const booked = await callJson<{ loan_id: number }>("/create-loan", {
      body: { customer_id: customerId, loan_amount: 100_000, interest_rate: 12, tenure: 12 },
    });
    const loanId = booked.body.loan_id;
    const path = `/make-payment/${customerId}/${loanId}`;
    const later = await call(path, {
      body: { amount: 8884.88 },
      env: { AS_OF_DATE: "2025-07-20" },
    });
    expect(later.status).toBe(201);
    // Back to an earlier date: even the whole payoff, which used to close the loan before the
    // payment it already held.
    for (const amount of [8884.88, 93_036.27]) {
      const refused = await call(path, { body: { amount }, env: { AS_OF_DATE: "2025-07-01" } });
      expect(await expectProblem(refused, 409)).toMatchObject({
        type: "/problems/before-last-payment",
        code: "BEFORE_LAST_PAYMENT",
        last_paid_on: "2025-07-20",
      });
    }
    expect((await paymentsOf(loanId)).length).toBe(1);
    // The same day as the latest payment is fine.
    const sameDay = await call(path, {
      body: { amount: 8884.88 },
      env: { AS_OF_DATE: "2025-07-20" },
    });
    expect(sameDay.status).toBe(201);
  });

  it("refuses a short final instalment with the amount due", async () => {
    const { customerId, loanId } = await customerWithLoan({
      amount: 10_000,
      tenure: 1,
      endDate: "2025-06-30",
    });
    const short = await call(`/make-payment/${customerId}/${loanId}`, {
      body: { amount: 10_000 },
    });
    expect(await expectProblem(short, 422, "amount")).toMatchObject({
      code: "AMOUNT_BELOW_FINAL_INSTALMENT",
      amount_due: 10_100,
    });
  });

  it("answers 404 for an unknown customer, an unknown loan, or another customer's loan", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const other = await registerCustomer();
    for (const path of [
      `/make-payment/999999999/${loanId}`,
      `/make-payment/${customerId}/999999999`,
      `/make-payment/${other.customer_id}/${loanId}`,
    ]) {
      await expectProblem(await call(path, { body: { amount: 100 } }), 404);
    }
    expect(await paymentsOf(loanId)).toEqual([]);
  });

  it("answers 400 naming the field for bad ids and bodies", async () => {
    const { customerId, loanId } = await customerWithLoan();
    await expectProblem(
      await call(`/make-payment/0/${loanId}`, { body: { amount: 1 } }),
      400,
      "customer_id",
    );
    await expectProblem(
      await call(`/make-payment/${customerId}/x1`, { body: { amount: 1 } }),
      400,
      "loan_id",
    );
    for (const amount of [0, -5, 1.001, "100", null, 1e12]) {
      const response = await call(`/make-payment/${customerId}/${loanId}`, { body: { amount } });
      await expectProblem(response, 400, "amount");
    }
    await expectProblem(
      await call(`/make-payment/${customerId}/${loanId}`, { body: {} }),
      400,
      "amount",
    );
    await expectProblem(
      await call(`/make-payment/${customerId}/${loanId}`, { rawBody: "{" }),
      400,
      "body",
    );
    expect(await paymentsOf(loanId)).toEqual([]);
  });

  it("is served under /api and with a trailing slash", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const api = await callJson(`/api/make-payment/${customerId}/${loanId}/`, {
      body: { amount: 8884.88 },
    });
    expect(api).toMatchObject({ status: 201, body: { period: 1 } });
    const slash = await callJson(`/make-payment/${customerId}/${loanId}/`, {
      body: { amount: 8884.88 },
    });
    expect(slash).toMatchObject({ status: 201, body: { period: 2 } });
  });

  it("replays a payment made with the same Idempotency-Key and body, paying once", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const headers = { "Idempotency-Key": `pay-${crypto.randomUUID()}` };
    const first = await pay(customerId, loanId, 8884.88, headers);
    const again = await pay(customerId, loanId, 8884.88, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await paymentsOf(loanId)).toHaveLength(1);

    const otherAmount = await call(`/make-payment/${customerId}/${loanId}`, {
      body: { amount: 9000 },
      headers,
    });
    await expectProblem(otherAmount, 422, "Idempotency-Key");
    const twin = await customerWithLoan();
    const otherLoan = await call(`/make-payment/${twin.customerId}/${twin.loanId}`, {
      body: { amount: 8884.88 },
      headers,
    });
    await expectProblem(otherLoan, 422, "Idempotency-Key");
    expect(await paymentsOf(twin.loanId)).toEqual([]);
  });

  it("refuses a malformed Idempotency-Key with 400 naming it as the 422 does", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const response = await call(`/make-payment/${customerId}/${loanId}`, {
      body: { amount: 8884.88 },
      headers: { "Idempotency-Key": "has space" },
    });
    await expectProblem(response, 400, "Idempotency-Key");
    expect(await paymentsOf(loanId)).toEqual([]);
  });

  it("counts an on-time payment on a workbook loan on top of the workbook's count", async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await seedLoan({
      customerId: customer_id,
      ...WORKED_LOAN,
      startDate: "2025-03-31",
      endDate: "2026-03-31",
      monthlyPayment: 8900,
      emisPaidOnTime: 2,
      sourceLoanId: 700_000 + customer_id,
    });
    // Periods 1–2 are settled by the workbook; period 3 is due 2025-06-30.
    const paid = await pay(customer_id, loanId, 8884.88);
    expect(paid.body).toMatchObject({ period: 3, on_time: true, monthly_installment: 8884.88 });
    const loan = await callJson(`/view-loan/${loanId}`);
    expect(loan.body).toMatchObject({ emis_paid_on_time: 3, repayments_left: 9 });
  });

  it("leaves a loan repaid early out of the score's missed instalments", async () => {
    // Booked and repaid in full on 2025-06-15; four months later none of its months owed anything.
    const { customer_id: customerId } = await registerCustomer();
    const terms = { customer_id: customerId, loan_amount: 100_000, interest_rate: 12, tenure: 12 };
    const booked = await callJson<{ loan_id: number }>("/create-loan", { body: terms });
    const paidOff = await pay(customerId, booked.body.loan_id, 101_000);
    expect(paidOff.body).toMatchObject({ status: "closed", on_time: true });
    const later = await callJson<{ score_breakdown: { component: string }[] }>(
      "/check-eligibility",
      { body: terms, env: { AS_OF_DATE: "2025-10-20" } },
    );
    // It counted four instalments due and one paid on time (10 points): a payoff scored as arrears.
    expect(later.body.score_breakdown[0]).toMatchObject({
      component: "on_time_repayment",
      points: 40,
      inputs: { emis_due: 1, emis_paid_on_time: 1 },
    });
  });
});
