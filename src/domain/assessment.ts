import { type CreditScore, computeCreditScore, type ScoredLoan } from "./credit-score";
import { type BorrowerPosition, type Decision, decideLoan, type LoanRequest } from "./decision";
import { isCurrentServicedLoan } from "./servicing";

export interface BorrowerFacts {
  monthlySalaryPaise: number;
  approvedLimitPaise: number;
}

export interface LoanFacts extends ScoredLoan {
  /** The loan's current EMI (recalculated by payments). */
  monthlyPaymentPaise: number;
}

export interface Assessment {
  credit: CreditScore;
  position: BorrowerPosition;
  decision: Decision;
}

/** Scores the borrower and decides the request, all as of `asOf`. Pure. */
export function assessLoanRequest(
  borrower: BorrowerFacts,
  loans: readonly LoanFacts[],
  request: LoanRequest,
  asOf: string,
): Assessment {
  const credit = computeCreditScore(loans, borrower.approvedLimitPaise, asOf);
  // A repaid loan is not current, whatever its closed_on: it no longer counts toward either rule.
  const currentLoans = loans.filter((loan) =>
    isCurrentServicedLoan({ ...loan, closedOn: loan.closedOn ?? null }, asOf),
  );
  const position: BorrowerPosition = {
    monthlySalaryPaise: borrower.monthlySalaryPaise,
    approvedLimitPaise: borrower.approvedLimitPaise,
    currentLoansAmountPaise: currentLoans.reduce((sum, loan) => sum + loan.loanAmountPaise, 0),
    currentLoansEmiPaise: currentLoans.reduce((sum, loan) => sum + loan.monthlyPaymentPaise, 0),
  };
  return { credit, position, decision: decideLoan(request, position, credit) };
}
