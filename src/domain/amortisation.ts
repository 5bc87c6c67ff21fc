import { addMonths, assertIsoDate, monthlyDates } from "./dates";
import { divideRoundHalfUp } from "./money";

/*
 * The amortisation schedule of a loan, in integer paise and basis points. docs/servicing.md
 * explains the model with worked examples; keep the two in step.
 */

/** What a schedule is built from: the loan's fixed terms (they never change after booking). */
export interface LoanTerms {
  loanAmountPaise: number;
  annualRateBp: number;
  tenure: number;
  startDate: string;
}

export interface SchedulePeriod {
  period: number;
  dueDate: string;
  instalmentPaise: number;
  principalPaise: number;
  interestPaise: number;
  balanceAfterPaise: number;
}

/** Period `period` (1-based) falls due that many calendar months after the start, clamped to month end. */
export function periodDueDate(startDate: string, period: number): string {
  return addMonths(startDate, period);
}

/**
 * One month's interest on a balance: balance × annual rate / 1200, half-up to the paisa. With the
 * rate in basis points that is balance × bp / 120,000, exact in integers below 2^53 for balances up
 * to ₹10^9 at rates up to 100 %.
 */
export function periodInterestPaise(balancePaise: number, annualRateBp: number): number {
  return divideRoundHalfUp(balancePaise * annualRateBp, 120_000);
}

/**
 * What a period asks for: the EMI, capped at the payoff (balance + interest) so a rounded-up EMI
 * can never overshoot the balance, and never below the interest (no negative amortisation); the
 * final period asks for exactly the payoff.
 */
export function instalmentDuePaise(
  balancePaise: number,
  interestPaise: number,
  emiPaise: number,
  isFinalPeriod: boolean,
): number {
  const payoffPaise = balancePaise + interestPaise;
  return isFinalPeriod ? payoffPaise : Math.max(interestPaise, Math.min(emiPaise, payoffPaise));
}

/**
 * Amortises `balancePaise` at a fixed EMI from period `firstPeriod` to the end of the tenure:
 * interest first, the rest to principal, the final period taking the whole remaining balance.
 * The schedule ends early only if the balance reaches 0 first, which happens when an EMI rounded up
 * by a fraction of a paisa, repeated over hundreds of months, adds up to more than one EMI.
 */
export function projectSchedule(
  terms: LoanTerms,
  from: { balancePaise: number; firstPeriod: number; emiPaise: number },
  lastPeriod = terms.tenure,
): SchedulePeriod[] {
  const rows: SchedulePeriod[] = [];
  const dueDates = monthlyDates(terms.startDate);
  const last = Math.min(lastPeriod, terms.tenure);
  let balancePaise = from.balancePaise;
  for (let period = from.firstPeriod; period <= last && balancePaise > 0; period++) {
    const interestPaise = periodInterestPaise(balancePaise, terms.annualRateBp);
    const instalmentPaise = instalmentDuePaise(
      balancePaise,
      interestPaise,
      from.emiPaise,
      period === terms.tenure,
    );
    const principalPaise = instalmentPaise - interestPaise;
    balancePaise -= principalPaise;
    // Written out, not spread from a step object: this runs for every row of every statement.
    rows.push({
      period,
      dueDate: dueDates(period),
      instalmentPaise,
      principalPaise,
      interestPaise,
      balanceAfterPaise: balancePaise,
    });
  }
  return rows;
}

/** How many rows projectSchedule would give, without the calendar work of their due dates. */
export function periodsToRepay(
  terms: LoanTerms,
  from: { balancePaise: number; firstPeriod: number; emiPaise: number },
): number {
  let balancePaise = from.balancePaise;
  let period = from.firstPeriod;
  for (; period <= terms.tenure && balancePaise > 0; period++) {
    balancePaise -= principalRepaid(terms, balancePaise, from.emiPaise, period);
  }
  return period - from.firstPeriod;
}

/**
 * The balance after up to `periods` periods at a fixed EMI from `from` (fewer when it reaches 0
 * first): the balances projectSchedule would give, without its rows or their due dates.
 */
export function amortiseBalance(
  terms: LoanTerms,
  from: { balancePaise: number; firstPeriod: number; emiPaise: number },
  periods: number,
): { balancePaise: number; periodsSettled: number } {
  let balancePaise = from.balancePaise;
  let period = from.firstPeriod;
  const last = Math.min(terms.tenure, from.firstPeriod + periods - 1);
  for (; period <= last && balancePaise > 0; period++) {
    balancePaise -= principalRepaid(terms, balancePaise, from.emiPaise, period);
  }
  return { balancePaise, periodsSettled: period - from.firstPeriod };
}

/** The principal one period repays from `balancePaise`: its instalment less its interest. */
function principalRepaid(
  terms: LoanTerms,
  balancePaise: number,
  emiPaise: number,
  period: number,
): number {
  const interestPaise = periodInterestPaise(balancePaise, terms.annualRateBp);
  return (
    instalmentDuePaise(balancePaise, interestPaise, emiPaise, period === terms.tenure) -
    interestPaise
  );
}

/** Where a loan's schedule starts: the whole amount owed, at period 1, repaid at `emiPaise`. */
export function scheduleStart(terms: LoanTerms, emiPaise: number) {
  return { balancePaise: terms.loanAmountPaise, firstPeriod: 1, emiPaise };
}

/**
 * The schedule of a loan repaid at `emiPaise` from its first period: in full, or only its rows up
 * to period `lastPeriod`.
 */
export function amortisationSchedule(
  terms: LoanTerms,
  emiPaise: number,
  lastPeriod = terms.tenure,
): SchedulePeriod[] {
  return projectSchedule(terms, scheduleStart(terms, emiPaise), lastPeriod);
}

/** Refuses terms the schedule cannot be built from: these are programming errors, not user input. */
export function assertLoanTerms(terms: LoanTerms): void {
  if (!isWholeAndAtLeast(terms.loanAmountPaise, 1)) {
    throw new RangeError("loanAmountPaise must be a positive integer");
  }
  if (!isWholeAndAtLeast(terms.annualRateBp, 0)) {
    throw new RangeError("annualRateBp must be a non-negative integer");
  }
  if (!isWholeAndAtLeast(terms.tenure, 1))
    throw new RangeError("tenure must be a positive integer");
  assertIsoDate(terms.startDate);
}

function isWholeAndAtLeast(value: number, min: number): boolean {
  return Number.isSafeInteger(value) && value >= min;
}
