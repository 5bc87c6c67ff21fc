import type { CustomerRecord, LoanRecord } from "../db/schema";
import type { LoanRequest } from "../domain/decision";
import { percentToBasisPoints, rupeesToPaise } from "../domain/money";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../lib/loan-bound";
import { ProblemError } from "../lib/problem";
import type { LoanRequestBody } from "./shared-schemas";

/* What check-eligibility and create-loan share before they decide: the request, the loans. */

export function toLoanRequest(body: LoanRequestBody): LoanRequest {
  return {
    loanAmountPaise: rupeesToPaise(body.loan_amount),
    interestRateBp: percentToBasisPoints(body.interest_rate),
    tenure: body.tenure,
  };
}

/**
 * check-eligibility's and create-loan's answer for a customer who holds LOANS_PER_CUSTOMER_AT_MOST
 * loans or more (more only when stored before the bound): no further loan can be decided on or
 * booked for them, on every runtime alike. So a decision reads, and its record keeps, at most one
 * loan fewer: some 250 bytes each at the widest, 1.3 MB, within the about 2 MB D1 stores in one
 * value with room for the rest of the record. No real borrower comes near it.
 */
function loanHistoryTooLongProblem(customerId: number, loanCount: number): ProblemError {
  return new ProblemError({
    kind: "loan-history-too-long",
    detail: `Customer ${customerId} has ${loanCount} loans on record, and one customer holds at most ${LOANS_PER_CUSTOMER_AT_MOST}, so no further loan can be decided on or booked for them. Nothing was decided, booked or recorded.`,
  });
}

/** The loans to decide on; a borrower at the bound (their loans not read) is refused by count. */
export function loansToDecideOn(borrower: {
  customer: CustomerRecord;
  loanCount: number;
  loans: LoanRecord[] | null;
}): LoanRecord[] {
  const { customer, loanCount, loans } = borrower;
  if (loans === null || loanCount >= LOANS_PER_CUSTOMER_AT_MOST) {
    throw loanHistoryTooLongProblem(customer.id, loanCount);
  }
  return loans;
}
