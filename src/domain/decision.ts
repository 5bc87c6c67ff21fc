import type { CreditScore } from "./credit-score";
import { monthlyInstalmentPaise } from "./loan-terms";
import { paiseToRupeesText } from "./money";

/*
 * The one lending decision, shared by check-eligibility and create-loan
 * (docs/product.md#approval-rules). Every rule is evaluated, so a refusal lists every reason that
 * applies.
 */

export type RefusalCode =
  | "CURRENT_LOANS_OVER_LIMIT"
  | "CREDIT_SCORE_TOO_LOW"
  | "OVER_APPROVED_LIMIT"
  | "EMI_OVER_HALF_SALARY";

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export interface LoanRequest {
  loanAmountPaise: number;
  interestRateBp: number;
  tenure: number;
}

export interface BorrowerPosition {
  monthlySalaryPaise: number;
  approvedLimitPaise: number;
  /** Sum of loan_amount over the customer's current loans. */
  currentLoansAmountPaise: number;
  /** Sum of the monthly payments of the customer's current loans. */
  currentLoansEmiPaise: number;
}

export interface Decision {
  approved: boolean;
  /** The rate floor of the score band, or null when the band has none (or refuses). */
  rateFloorBp: number | null;
  correctedInterestRateBp: number;
  monthlyInstalmentPaise: number;
  reasons: Refusal[];
}

interface ScoreBand {
  rateFloorBp: number | null;
  lends: boolean;
}

/** score > 50: requested rate; 30 < score ≤ 50: 12 %; 10 < score ≤ 30: 16 %; ≤ 10: no loan. */
export function scoreBand(score: number): ScoreBand {
  if (score > 50) return { rateFloorBp: null, lends: true };
  if (score > 30) return { rateFloorBp: 1200, lends: true };
  if (score > 10) return { rateFloorBp: 1600, lends: true };
  return { rateFloorBp: null, lends: false };
}

export function decideLoan(
  request: LoanRequest,
  position: BorrowerPosition,
  credit: CreditScore,
): Decision {
  const band = scoreBand(credit.score);
  const correctedInterestRateBp = Math.max(request.interestRateBp, band.rateFloorBp ?? 0);
  const emiPaise = monthlyInstalmentPaise(
    request.loanAmountPaise,
    correctedInterestRateBp,
    request.tenure,
  );
  const reasons: Refusal[] = [];

  if (credit.currentLoansOverLimit) {
    reasons.push({
      code: "CURRENT_LOANS_OVER_LIMIT",
      message: `The customer's current loans (${rupees(position.currentLoansAmountPaise)}) already exceed the approved limit of ${rupees(position.approvedLimitPaise)}.`,
    });
  }
  if (!band.lends) {
    reasons.push({
      code: "CREDIT_SCORE_TOO_LOW",
      message: `The credit score is ${credit.score}; a loan needs a score above 10.`,
    });
  }
  const totalAmountPaise = position.currentLoansAmountPaise + request.loanAmountPaise;
  if (totalAmountPaise > position.approvedLimitPaise) {
    reasons.push({
      code: "OVER_APPROVED_LIMIT",
      message: `Current loans plus this loan (${rupees(totalAmountPaise)}) would exceed the approved limit of ${rupees(position.approvedLimitPaise)}.`,
    });
  }
  const totalEmiPaise = position.currentLoansEmiPaise + emiPaise;
  // "Exceeds half the salary", compared in integers: 2 × EMIs > salary.
  if (2 * totalEmiPaise > position.monthlySalaryPaise) {
    reasons.push({
      code: "EMI_OVER_HALF_SALARY",
      message: `Monthly instalments including this loan (${rupees(totalEmiPaise)}) would exceed half the monthly salary of ${rupees(position.monthlySalaryPaise)}.`,
    });
  }

  return {
    approved: reasons.length === 0,
    rateFloorBp: band.rateFloorBp,
    correctedInterestRateBp,
    monthlyInstalmentPaise: emiPaise,
    reasons,
  };
}

function rupees(paise: number): string {
  return `₹${paiseToRupeesText(paise)}`;
}
