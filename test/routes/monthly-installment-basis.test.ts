import { describe, expect, it } from "vitest";
import { callJson, registerCustomer } from "../support/http";
import { seedLoan } from "../support/seed";
import { pay, statementOf, WORKED_LOAN } from "../support/servicing";

/*
 * monthly_installment_basis says which figure a loan's monthly_installment is: a workbook loan
 * shows the Monthly payment recorded in the lender's workbook (₹8,900 here, the schedule asking
 * ₹8,884.88) until its first payment through the API, which replaces it with the schedule's EMI.
 * view-loan, view-loans and view-statement say it alike, so no client re-derives it.
 */

interface LoanBody {
  loan_id: number;
  monthly_installment: number;
  monthly_installment_basis: string;
}

/** The loan as view-loan shows it; view-loans and view-statement must agree with it. */
async function basisOf(customerId: number, loanId: number) {
  const view = await callJson<LoanBody>(`/view-loan/${loanId}`);
  const list = await callJson<LoanBody[]>(`/view-loans/${customerId}`);
  const listed = list.body.find((loan) => loan.loan_id === loanId);
  const statement = await statementOf(customerId, loanId);
  const { monthly_installment, monthly_installment_basis } = view.body;
  for (const other of [listed, statement.body]) {
    expect(other).toMatchObject({ monthly_installment, monthly_installment_basis });
  }
  return view.body;
}

function seedWorkbookLoan(customerId: number, emisPaidOnTime = 0) {
  return seedLoan({
    customerId,
    ...WORKED_LOAN,
    monthlyPayment: 8900,
    emisPaidOnTime,
    sourceLoanId: 600_000 + customerId,
  });
}

describe("monthly_installment_basis", () => {
  it('is "schedule" for a loan booked through the API', async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const booked = await callJson<{ loan_id: number }>("/create-loan", {
      body: { customer_id, loan_amount: 100_000, interest_rate: 12, tenure: 12 },
    });
    expect(await basisOf(customer_id, booked.body.loan_id)).toMatchObject({
      monthly_installment: 8884.88,
      monthly_installment_basis: "schedule",
    });
  });

  it('is "workbook" for a workbook loan until its first API payment, then "schedule"', async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await seedWorkbookLoan(customer_id);
    expect(await basisOf(customer_id, loanId)).toMatchObject({
      monthly_installment: 8900,
      monthly_installment_basis: "workbook",
    });
    // The statement's rule: a reconstructed schedule without an API payment.
    const before = await statementOf(customer_id, loanId);
    expect(before.body).toMatchObject({ schedule_basis: "reconstructed", payments: [] });

    expect((await pay(customer_id, loanId, 8884.88)).status).toBe(201);
    expect(await basisOf(customer_id, loanId)).toMatchObject({
      monthly_installment: 8884.88,
      monthly_installment_basis: "schedule",
    });
  });

  it('is "workbook" for a workbook loan its recorded count repaid', async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await seedWorkbookLoan(customer_id, 12);
    expect(await basisOf(customer_id, loanId)).toMatchObject({
      status: "closed",
      monthly_installment: 8900,
      monthly_installment_basis: "workbook",
    });
  });
});
