import { addMonths, wholeMonthsBetween } from "./dates";
import { divideRoundHalfUp } from "./money";
import { isCurrentServicedLoan } from "./servicing";

/*
 * The credit score model. docs/credit-score.md explains it with a worked example; keep the two in
 * step. Four components add up to at most 100 points; one override sets the score to 0.
 */

export interface ScoredLoan {
  loanAmountPaise: number;
  tenure: number;
  emisPaidOnTime: number;
  /**
   * Schedule periods settled, late or on time (docs/servicing.md). Null or absent: as many as were
   * paid on time (any loan before its first API payment; records before model 2026-12.15).
   */
  periodsSettled?: number | null;
  startDate: string;
  endDate: string;
  /** The date the loan was repaid in full (docs/servicing.md); a loan repaid is not current. */
  closedOn?: string | null;
}

export interface ScoreComponent {
  component: ScoreComponentName;
  points: number;
  max_points: number;
  detail: string;
  inputs: Record<string, number | boolean>;
}

export type ScoreComponentName =
  | "on_time_repayment"
  | "loan_history"
  | "current_year_activity"
  | "approved_volume"
  | "current_loans_over_limit";

export interface CreditScore {
  score: number;
  breakdown: ScoreComponent[];
  /** The override: current loans already exceed the approved limit. */
  currentLoansOverLimit: boolean;
}

const SCORE_WEIGHTS = {
  onTimeRepayment: 40,
  loanHistory: 20,
  currentYearActivity: 20,
  approvedVolume: 20,
} as const;

/** Loans counted for history: five or more earn the full history points. */
const LOANS_FOR_FULL_HISTORY = 5;
/** Points lost per loan started in the as-of year. */
const POINTS_PER_LOAN_THIS_YEAR = 5;

export function computeCreditScore(
  loans: readonly ScoredLoan[],
  approvedLimitPaise: number,
  asOf: string,
): CreditScore {
  // A loan that starts after the as-of date has not been taken yet and counts for nothing.
  const pastLoans = loans.filter((loan) => loan.startDate <= asOf);
  const currentAmountPaise = pastLoans
    .filter((loan) => isCurrentServicedLoan({ ...loan, closedOn: loan.closedOn ?? null }, asOf))
    .reduce((sum, loan) => sum + loan.loanAmountPaise, 0);

  const breakdown = [
    onTimeRepayment(pastLoans, asOf),
    loanHistory(pastLoans),
    currentYearActivity(pastLoans, asOf),
    approvedVolume(pastLoans, approvedLimitPaise),
  ];
  const componentSum = breakdown.reduce((sum, component) => sum + component.points, 0);

  const currentLoansOverLimit = currentAmountPaise > approvedLimitPaise;
  if (currentLoansOverLimit) {
    breakdown.push({
      component: "current_loans_over_limit",
      points: -componentSum,
      max_points: 0,
      detail: "The current loans' amounts exceed the approved limit, so the score is 0.",
      inputs: {
        current_loans_amount: currentAmountPaise / 100,
        approved_limit: approvedLimitPaise / 100,
      },
    });
    return { score: 0, breakdown, currentLoansOverLimit };
  }
  return { score: componentSum, breakdown, currentLoansOverLimit };
}

/**
 * Share of the instalments due so far that were paid on time. An instalment falls due each whole
 * month after the start, up to the tenure, and none after the loan is repaid. With nothing due yet
 * there is no evidence either way, so the component gives half its points.
 */
function onTimeRepayment(loans: readonly ScoredLoan[], asOf: string): ScoreComponent {
  let due = 0;
  let paidOnTime = 0;
  for (const loan of loans) {
    // The periods settled, not the on-time count, say which instalments were paid: a late one
    // followed by one on time is two periods settled and one on time.
    const settled = Math.max(loan.periodsSettled ?? 0, loan.emisPaidOnTime);
    const dueThrough = wholeMonthsBetween(loan.startDate, asOf);
    // One falling due on the as-of date can still be paid on time that day (docs/servicing.md):
    // counted once it is settled, never as missed before the day is out.
    const dueSoFar =
      settled >= dueThrough ? dueThrough : instalmentsDueBefore(loan.startDate, asOf);
    let dueForLoan = Math.min(loan.tenure, dueSoFar);
    if (loan.closedOn && loan.closedOn < asOf) {
      // Nothing falls due once a loan is repaid (counting its later months as missed scored an
      // early payoff like a default); instalments it settled ahead of their months still count.
      const dueByClose = instalmentsDueBefore(loan.startDate, loan.closedOn);
      dueForLoan = Math.min(dueForLoan, Math.max(dueByClose, settled));
    }
    due += dueForLoan;
    paidOnTime += Math.min(loan.emisPaidOnTime, dueForLoan);
  }
  const max = SCORE_WEIGHTS.onTimeRepayment;
  const points = due === 0 ? max / 2 : divideRoundHalfUp(max * paidOnTime, due);
  const detail =
    due === 0
      ? "No instalment has fallen due yet: half the points, as no evidence either way."
      : `${paidOnTime} of ${due} instalments due so far were paid on time.`;
  return {
    component: "on_time_repayment",
    points,
    max_points: max,
    detail,
    inputs: { emis_due: due, emis_paid_on_time: paidOnTime },
  };
}

/**
 * Instalments whose due date is before `date`: the whole months from the start, less the one due
 * on `date` itself (it is not late yet, and a payoff on that day settles it).
 */
function instalmentsDueBefore(startDate: string, date: string): number {
  const months = wholeMonthsBetween(startDate, date);
  return months > 0 && addMonths(startDate, months) === date ? months - 1 : months;
}

/** Experience: each loan taken so far earns points, up to five loans. */
function loanHistory(loans: readonly ScoredLoan[]): ScoreComponent {
  const max = SCORE_WEIGHTS.loanHistory;
  const counted = Math.min(loans.length, LOANS_FOR_FULL_HISTORY);
  return {
    component: "loan_history",
    points: divideRoundHalfUp(max * counted, LOANS_FOR_FULL_HISTORY),
    max_points: max,
    detail: `${loans.length} loan(s) taken so far; ${LOANS_FOR_FULL_HISTORY} or more earn the full points.`,
    inputs: { loans_taken: loans.length },
  };
}

/** Credit hunger: every loan started in the as-of date's calendar year costs points. */
function currentYearActivity(loans: readonly ScoredLoan[], asOf: string): ScoreComponent {
  const year = asOf.slice(0, 4);
  const loansThisYear = loans.filter((loan) => loan.startDate.slice(0, 4) === year).length;
  const max = SCORE_WEIGHTS.currentYearActivity;
  return {
    component: "current_year_activity",
    points: Math.max(0, max - POINTS_PER_LOAN_THIS_YEAR * loansThisYear),
    max_points: max,
    detail: `${loansThisYear} loan(s) started in ${year}; each costs ${POINTS_PER_LOAN_THIS_YEAR} points.`,
    inputs: { loans_this_year: loansThisYear },
  };
}

/** Credit handled: the total amount of loans taken so far, relative to the approved limit. */
function approvedVolume(loans: readonly ScoredLoan[], approvedLimitPaise: number): ScoreComponent {
  const volumePaise = loans.reduce((sum, loan) => sum + loan.loanAmountPaise, 0);
  const max = SCORE_WEIGHTS.approvedVolume;
  const points =
    approvedLimitPaise <= 0
      ? 0
      : divideRoundHalfUp(max * Math.min(volumePaise, approvedLimitPaise), approvedLimitPaise);
  return {
    component: "approved_volume",
    points,
    max_points: max,
    detail: "Total amount of loans taken so far as a share of the approved limit, capped at 100 %.",
    inputs: { loans_volume: volumePaise / 100, approved_limit: approvedLimitPaise / 100 },
  };
}
