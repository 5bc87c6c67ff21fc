import type { Assessment } from "../../domain/assessment";
import { basisPointsToPercent, paiseToRupees } from "../../domain/money";
import type { LoanRequestBody } from "../shared-schemas";

/**
 * The check-eligibility body. create-loan answers from the same assessment with its own shape
 * (toCreateLoanResult, src/routes/loans/loan-response.ts), not with this one.
 */
export function toAssessmentResponse(
  body: LoanRequestBody,
  { credit, position, decision }: Assessment,
  asOf: string,
) {
  return {
    customer_id: body.customer_id,
    approval: decision.approved,
    loan_amount: body.loan_amount,
    interest_rate: body.interest_rate,
    corrected_interest_rate: basisPointsToPercent(decision.correctedInterestRateBp),
    rate_floor: decision.rateFloorBp === null ? null : basisPointsToPercent(decision.rateFloorBp),
    tenure: body.tenure,
    monthly_installment: paiseToRupees(decision.monthlyInstalmentPaise),
    credit_score: credit.score,
    score_breakdown: credit.breakdown,
    reasons: decision.reasons,
    current_loans_amount: paiseToRupees(position.currentLoansAmountPaise),
    current_loans_emi: paiseToRupees(position.currentLoansEmiPaise),
    approved_limit: paiseToRupees(position.approvedLimitPaise),
    monthly_income: paiseToRupees(position.monthlySalaryPaise),
    as_of: asOf,
  };
}
