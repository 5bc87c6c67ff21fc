import type { LoanRequest } from "../domain/decision";
import { percentToBasisPoints, rupeesToPaise } from "../domain/money";
import type { LoanRequestBody } from "./shared-schemas";

export function toLoanRequest(body: LoanRequestBody): LoanRequest {
  return {
    loanAmountPaise: rupeesToPaise(body.loan_amount),
    interestRateBp: percentToBasisPoints(body.interest_rate),
    tenure: body.tenure,
  };
}
