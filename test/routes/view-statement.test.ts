import { describe, expect, it } from "vitest";
import { statementSchema } from "../../src/routes/servicing/servicing.routes";
import { replayEveryDecision } from "../support/decisions";
import { call, callJson, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedLoan } from "../support/seed";
import {
  customerWithLoan,
  paiseTotals,
  pay,
  type StatementBody,
  statementOf,
  WORKED_LOAN,
} from "../support/servicing";

describe("GET /view-statement/{customer_id}/{loan_id}", () => {
  it("shows an API loan's payments and its full schedule, with the invariants holding", async () => {
    const { customerId, loanId } = await customerWithLoan();
    await pay(customerId, loanId, 10_000);
    const { status, body } = await statementOf(customerId, loanId);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      customer_id: customerId,
      loan_id: loanId,
      principal: 100_000,
      interest_rate: 12,
      amount_paid: 10_000,
      principal_paid: 9000,
      interest_paid: 1000,
      outstanding_principal: 91_000,
      monthly_installment: 8777.32,
      repayments_left: 11,
      status: "active",
      closed_on: null,
      start_date: "2025-05-31",
      end_date: "2026-05-31",
      next_due_date: "2025-07-31",
      schedule_basis: "contract",
    });
    expect(body.payments).toEqual([
      {
        payment_id: expect.any(Number),
        paid_on: "2025-06-15",
        amount: 10_000,
        interest: 1000,
        principal: 9000,
        balance_after: 91_000,
        period: 1,
        on_time: true,
        source: "api",
      },
    ]);
    expect(body.schedule).toHaveLength(12);
    expect(body.schedule.map((row) => row.status)).toEqual([
      "paid",
      "due",
      ...Array(10).fill("upcoming"),
    ]);
    const totals = paiseTotals(body);
    expect(totals.schedulePrincipal).toBe(100_000_00);
    expect(totals.rowsAddUp).toBe(true);
    expect(totals.paymentsTotal).toBe(totals.amountPaid);
    expect(totals.paidSplit).toBe(totals.amountPaid);
    expect(totals.outstanding).toBe(totals.outstandingReported);
    expect(totals.lastBalance).toBe(0);
  });

  it("names the as-of date its statuses were computed for: AS_OF_DATE's, or today's when unset", async () => {
    // A statement handed over later must say the day its due / overdue / upcoming were true of.
    const { customerId, loanId } = await customerWithLoan();
    await pay(customerId, loanId, 8884.88);
    const path = `/view-statement/${customerId}/${loanId}`;
    const statuses = (body: StatementBody) => body.schedule.map((row) => row.status).slice(0, 4);

    const pinned = await statementOf(customerId, loanId);
    expect(pinned.body.as_of).toBe("2025-06-15");
    expect(statuses(pinned.body)).toEqual(["paid", "due", "upcoming", "upcoming"]);

    // Period 2 fell due on 2025-07-31: overdue on 2025-08-05, and period 3 is the one due.
    const later = await callJson<StatementBody>(path, { env: { AS_OF_DATE: "2025-08-05" } });
    expect(later.body.as_of).toBe("2025-08-05");
    expect(statuses(later.body)).toEqual(["paid", "overdue", "due", "upcoming"]);

    const today = () => new Date().toISOString().slice(0, 10);
    const before = today();
    const unpinned = await callJson<StatementBody>(path, { env: { AS_OF_DATE: "" } });
    expect([before, today()]).toContain(unpinned.body.as_of);
  });

  it("writes every field in the order the OpenAPI schema lists it, rows included", async () => {
    // The rows are built field by field for speed (servicing-response.ts): this keeps them in step.
    const { customerId, loanId } = await customerWithLoan();
    await pay(customerId, loanId, 10_000);
    const { body } = await statementOf(customerId, loanId);
    const fieldsOf = (schema: { shape: object }) => Object.keys(schema.shape);
    const { payments, schedule, next_installment } = statementSchema.shape;
    expect(Object.keys(body)).toEqual(fieldsOf(statementSchema));
    expect(body.payments.map((entry) => Object.keys(entry))).toEqual([fieldsOf(payments.element)]);
    expect(new Set(body.schedule.map((row) => Object.keys(row).join()))).toEqual(
      new Set([fieldsOf(schedule.element).join()]),
    );
    expect(Object.keys(body.next_installment ?? {})).toEqual(fieldsOf(next_installment.unwrap()));
  });

  it("reconstructs a workbook loan: settled periods as workbook entries, the rest overdue, due, upcoming", async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await seedLoan({
      customerId: customer_id,
      ...WORKED_LOAN,
      startDate: "2025-01-31",
      endDate: "2026-01-31",
      monthlyPayment: 8900,
      emisPaidOnTime: 3,
      sourceLoanId: 800_000 + customer_id,
    });
    const { body } = await statementOf(customer_id, loanId);
    expect(body).toMatchObject({
      schedule_basis: "reconstructed",
      monthly_installment: 8900,
      outstanding_principal: 76_108.02,
      repayments_left: 9,
      next_due_date: "2025-05-31",
      next_installment: { period: 4, amount_due: 8884.88 },
    });
    expect(body.payments.map((p) => [p.source, p.amount])).toEqual([
      ["workbook", 8884.88],
      ["workbook", 8884.88],
      ["workbook", 8884.88],
    ]);
    expect(body.schedule.slice(0, 6).map((row) => row.status)).toEqual([
      "paid",
      "paid",
      "paid",
      "overdue",
      "due",
      "upcoming",
    ]);
    // A late payment settles the overdue period, is not on time, and sets the schedule's EMI.
    const late = await pay(customer_id, loanId, 8884.88);
    expect(late.body).toMatchObject({ period: 4, on_time: false, monthly_installment: 8884.88 });
    const after = await statementOf(customer_id, loanId);
    expect(after.body.payments.map((p) => p.source)).toEqual([
      "workbook",
      "workbook",
      "workbook",
      "api",
    ]);
    expect(after.body.emis_paid_on_time).toBe(3);
    expect(paiseTotals(after.body).schedulePrincipal).toBe(100_000_00);
  });

  it("answers 404 for another customer's loan and 400 for bad ids, also under /api", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const other = await registerCustomer();
    await expectProblem(await call(`/view-statement/${other.customer_id}/${loanId}`), 404);
    await expectProblem(await call(`/view-statement/${customerId}/999999999`), 404);
    await expectProblem(await call(`/view-statement/${customerId}/-1`), 400, "loan_id");
    const api = await callJson(`/api/view-statement/${customerId}/${loanId}/`);
    expect(api.status).toBe(200);
  });
});

describe("a closed loan frees its room", () => {
  it("refuses a loan over the limit, then approves it once the old loan is paid off", async () => {
    // Limit ₹5,00,000 (12,500 × 36, rounded to the lakh); the current loan uses all of it.
    const { customerId, loanId } = await customerWithLoan(
      { amount: 500_000, tenure: 12 },
      { monthly_income: 12_500 },
    );
    const request = {
      customer_id: customerId,
      loan_amount: 100_000,
      interest_rate: 12,
      tenure: 120,
    };
    const before = await callJson<{ approval: boolean; reasons: { code: string }[] }>(
      "/check-eligibility",
      { body: request },
    );
    expect(before.body.approval).toBe(false);
    expect(before.body.reasons.map((r) => r.code)).toContain("OVER_APPROVED_LIMIT");
    const refused = await callJson("/create-loan", { body: request });
    expect(refused.body).toMatchObject({ loan_approved: false });

    const { body: statement } = await statementOf(customerId, loanId);
    const payoff = statement.next_installment?.payoff_amount;
    const closed = await pay(customerId, loanId, payoff);
    expect(closed.body).toMatchObject({ status: "closed" });

    const after = await callJson<{ approval: boolean; reasons: unknown[] }>("/check-eligibility", {
      body: request,
    });
    expect(after.body).toMatchObject({ approval: true, reasons: [] });
    const booked = await callJson("/create-loan", { body: request });
    expect(booked).toMatchObject({ status: 201, body: { loan_approved: true } });
  });
});

// Last: tests in a file run in order, so this sees every record the tests above stored. A test,
// not an afterAll: a `-t` run of some other test skips it instead of failing on an empty table.
it("replays every decision record here, made on paid-off loans, to its stored outcome", async () => {
  expect(await replayEveryDecision()).toBeGreaterThan(0);
});
