/*
 * Money is carried as integer paise and rates as integer basis points everywhere inside the
 * system; these are the only conversions to and from the decimal numbers of the API.
 */

/** Rupees with at most 2 decimals → paise. Callers validate the 2-decimal rule first. */
export function rupeesToPaise(rupees: number): number {
  return Math.round(rupees * 100);
}

/** Paise → rupees. An integer divided by 100 prints with at most 2 decimals, never float noise. */
export function paiseToRupees(paise: number): number {
  return paise / 100;
}

/**
 * Paise as rupees written with exactly two decimals, from the integer: exact for any whole number
 * of paise up to 2^53. `(paise / 100).toFixed(2)` is not past ₹7 × 10^13, where the double nearest
 * paise / 100 is more than half a paisa from it (8,000,000,000,000,001 paise printed as
 * 80000000000000.02).
 */
export function paiseToRupeesText(paise: number): string {
  const whole = Math.abs(paise);
  const fraction = whole % 100;
  return `${paise < 0 ? "-" : ""}${(whole - fraction) / 100}.${String(fraction).padStart(2, "0")}`;
}

/** Percent with at most 2 decimals → basis points (8.2 → 820). */
export function percentToBasisPoints(percent: number): number {
  return Math.round(percent * 100);
}

export function basisPointsToPercent(basisPoints: number): number {
  return basisPoints / 100;
}

/**
 * True when `value` is exactly representable as a number with at most 2 decimals. Within the
 * fields' bounds only: some whole numbers past them (1e21) read back otherwise; the fields' rule is
 * field-rules.ts's. Same name, other answer for 1e21: validation imports that one. Not renamed, as
 * the model's hash reads names (test/domain/model-version.node.test.ts) and a rename is no new model.
 */
export function hasAtMostTwoDecimals(value: number): boolean {
  return Number.isFinite(value) && Math.round(value * 100) / 100 === value;
}

/**
 * Rounds a non-negative ratio numerator/denominator of integers half-up to an integer, exactly
 * (no floating point), e.g. divideRoundHalfUp(5, 2) = 3.
 */
export function divideRoundHalfUp(numerator: number, denominator: number): number {
  if (denominator <= 0) throw new RangeError("denominator must be positive");
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}
