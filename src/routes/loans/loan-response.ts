import type { z } from "@hono/zod-openapi";
import type { CustomerRecord, LoanRecord } from "../../db/schema";
import type { Decision } from "../../domain/decision";
import { instalmentBasisOf } from "../../domain/instalment-basis";
import { basisPointsToPercent, paiseToRupees } from "../../domain/money";
import { isCurrentServicedLoan, repaymentsLeftOf } from "../../domain/servicing";
import { loanStandingOf, servicedLoanOf } from "../servicing/loan-servicing";
import type { LoanRequestBody } from "../shared-schemas";
import type { createLoanResultSchema } from "./loans.routes";

export type CreateLoanResult = z.infer<typeof createLoanResultSchema>;

/** create-loan's answer before booking: `loan_id` is filled in once the loan has one. */
export function toCreateLoanResult(
  body: LoanRequestBody,
  creditScore: number,
  decision: Decision,
  asOf: string,
  endDate: string,
  decisionId: string,
): CreateLoanResult {
  const rate = basisPointsToPercent(decision.correctedInterestRateBp);
  return {
    loan_id: null,
    customer_id: body.customer_id,
    loan_approved: decision.approved,
    message: decision.approved
      ? `Loan approved at ${rate} % for ${body.tenure} months.`
      : (decision.reasons[0]?.message ?? "Loan not approved."),
    monthly_installment: paiseToRupees(decision.monthlyInstalmentPaise),
    interest_rate: rate,
    requested_interest_rate: body.interest_rate,
    loan_amount: body.loan_amount,
    tenure: body.tenure,
    credit_score: creditScore,
    start_date: decision.approved ? asOf : null,
    end_date: decision.approved ? endDate : null,
    reasons: decision.reasons,
    decision_id: decisionId,
  };
}

/** A loan as it stands: the instalment, the on-time count and the open periods follow payments. */
export function toLoanSummary(loan: LoanRecord, asOf: string) {
  const { state, status } = loanStandingOf(loan);
  const serviced = servicedLoanOf(loan);
  return {
    loan_id: loan.id,
    source_loan_id: loan.sourceLoanId,
    loan_amount: paiseToRupees(loan.loanAmountPaise),
    interest_rate: basisPointsToPercent(loan.interestRateBp),
    monthly_installment: paiseToRupees(loan.monthlyPaymentPaise),
    monthly_installment_basis: instalmentBasisOf(serviced.scheduleBasis, loan.apiPayments),
    tenure: loan.tenure,
    emis_paid_on_time: loan.emisPaidOnTime,
    repayments_left: repaymentsLeftOf(serviced, state),
    start_date: loan.startDate,
    end_date: loan.endDate,
    // Current unless repaid, on the closed_on shown (whatever its date): the stored column can
    // differ from it on a loan migration 0003 closed (docs/servicing.md#a-current-loan).
    is_current: isCurrentServicedLoan({ ...loan, closedOn: state.closedOn }, asOf),
    status,
    closed_on: state.closedOn,
  };
}

export function toLoanDetail(loan: LoanRecord, customer: CustomerRecord, asOf: string) {
  return {
    ...toLoanSummary(loan, asOf),
    customer: {
      id: customer.id,
      first_name: customer.firstName,
      last_name: customer.lastName,
      phone_number: customer.phoneNumber,
      age: customer.age,
    },
  };
}
