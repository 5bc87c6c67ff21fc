import type { LoanRequest } from "../domain/decision";
import { percentToBasisPoints, rupeesToPaise } from "../domain/money";

/** The body check-eligibility and create-loan share. */
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
