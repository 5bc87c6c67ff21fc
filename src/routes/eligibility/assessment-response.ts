import type { Assessment } from "../../domain/assessment";
import type { LoanRequest } from "../../domain/decision";
import {
  basisPointsToPercent,
  paiseToRupees,
  percentToBasisPoints,
  rupeesToPaise,
} from "../../domain/money";

export interface LoanRequestBody {
  customer_id: number;
  loan_amount: number;
  interest_rate: number;
  tenure: number;
}

export function toLoanRequest(body: LoanRequestBody): LoanRequest {
  return {
    loanAmountPaise: rupeesToPaise(body.loan_amount),
    interestRateBp: percentToBasisPoints(body.interest_rate),
    tenure: body.tenure,
  };
}

/** The check-eligibility body; create-loan reuses its numbers. */
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
