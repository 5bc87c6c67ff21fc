import { addMonths } from "./dates";
import { divideRoundHalfUp } from "./money";

/**
 * Monthly instalment in paise, by standard amortisation with monthly compounding:
 * EMI = P·r·(1+r)^n / ((1+r)^n − 1), r = annual rate / 12 / 100; r = 0 gives P / n.
 * Rounded half-up to the paisa.
 */
export function monthlyInstalmentPaise(
  principalPaise: number,
  annualRateBp: number,
  tenureMonths: number,
): number {
  if (annualRateBp === 0) return divideRoundHalfUp(principalPaise, tenureMonths);
  const monthlyRate = annualRateBp / 10_000 / 12;
  const growth = (1 + monthlyRate) ** tenureMonths;
  const exact = (principalPaise * monthlyRate * growth) / (growth - 1);
  // toPrecision trims accumulated binary noise (…4999999) before the half-up step.
  return Math.floor(Number(exact.toPrecision(13)) + 0.5);
}

/** Last day of a loan: start plus tenure calendar months, clamped to the month's end. */
export function loanEndDate(startDate: string, tenureMonths: number): string {
  return addMonths(startDate, tenureMonths);
}

export function repaymentsLeft(tenureMonths: number, emisPaidOnTime: number): number {
  return Math.max(0, tenureMonths - emisPaidOnTime);
}

/** A loan is current on `asOf` when start_date <= asOf <= end_date. */
export function isCurrentLoan(loan: { startDate: string; endDate: string }, asOf: string): boolean {
  return loan.startDate <= asOf && asOf <= loan.endDate;
}
