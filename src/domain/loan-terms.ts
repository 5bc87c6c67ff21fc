import { addMonths } from "./dates";
import { divideRoundHalfUp } from "./money";

/** A loan's tenure in months, wherever it is given (field-rules.ts lists it with the others). */
export const TENURE_MONTHS = { min: 1, max: 600 } as const;

/**
 * Monthly instalment in paise, by standard amortisation with monthly compounding:
 * EMI = P·r·(1+r)^n / ((1+r)^n − 1), r = annual rate / 12 / 100; r = 0 gives P / n.
 * Rounded half-up to the paisa, exactly: the float value decides unless it is too close to a half
 * paisa to be sure, and then exact integer arithmetic does.
 */
export function monthlyInstalmentPaise(
  principalPaise: number,
  annualRateBp: number,
  tenureMonths: number,
): number {
  if (annualRateBp === 0) return divideRoundHalfUp(principalPaise, tenureMonths);
  const monthlyRate = annualRateBp / 120_000;
  // P·r / (1 − (1+r)^−n) through log1p and expm1: (1+r)^n − 1 cancels badly at tiny rates.
  const approx =
    (principalPaise * monthlyRate) / -Math.expm1(-tenureMonths * Math.log1p(monthlyRate));
  const whole = Math.floor(approx);
  const fromHalf = approx - whole - 0.5;
  // Relative error ≤ 9·2^-53 (six steps of ≤ 1 ulp in V8, none amplifying it): 2^-46 is 14× that.
  if (Math.abs(fromHalf) > approx * 2 ** -46) return fromHalf > 0 ? whole + 1 : whole;
  if (!isExactlyComputable(principalPaise, annualRateBp, tenureMonths)) return Math.round(approx);
  return exactInstalmentPaise(principalPaise, annualRateBp, tenureMonths);
}

/**
 * Integer terms within the accepted ranges. A schema's refine also sees values it is about to
 * refuse (a tenure of 10^9, an amount of 10^300): those keep the float answer, which nobody uses.
 */
function isExactlyComputable(
  principalPaise: number,
  annualRateBp: number,
  tenure: number,
): boolean {
  return (
    Number.isSafeInteger(principalPaise) &&
    principalPaise >= 0 &&
    Number.isSafeInteger(annualRateBp) &&
    annualRateBp > 0 &&
    Number.isInteger(tenure) &&
    tenure >= 1 &&
    tenure <= TENURE_MONTHS.max
  );
}

/**
 * The EMI as the exact ratio P·bp·A^n / (120,000·(A^n − B^n)), A = 120,000 + bp, B = 120,000 (the
 * formula with r = bp / 120,000, multiplied through by 120,000^n), rounded half-up in BigInt.
 */
function exactInstalmentPaise(
  principalPaise: number,
  annualRateBp: number,
  tenure: number,
): number {
  const n = BigInt(tenure);
  const growth = BigInt(120_000 + annualRateBp) ** n;
  const numerator = BigInt(principalPaise) * BigInt(annualRateBp) * growth;
  const denominator = 120_000n * (growth - 120_000n ** n);
  return Number((2n * numerator + denominator) / (2n * denominator));
}

/** Last day of a loan: start plus tenure calendar months, clamped to the month's end. */
export function loanEndDate(startDate: string, tenureMonths: number): string {
  return addMonths(startDate, tenureMonths);
}

/** A loan is current on `asOf` when start_date <= asOf <= end_date. */
export function isCurrentLoan(loan: { startDate: string; endDate: string }, asOf: string): boolean {
  return loan.startDate <= asOf && asOf <= loan.endDate;
}
