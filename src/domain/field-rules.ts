import { canAddMonths } from "./dates";
import { monthlyInstalmentPaise, TENURE_MONTHS } from "./loan-terms";
import {
  hasAtMostTwoDecimals as isNearestToTwoDecimals,
  percentToBasisPoints,
  rupeesToPaise,
} from "./money";

/*
 * The bounds and predicates of every field a person or a workbook supplies, once. The HTTP
 * contracts (zod, src/routes/shared-schemas.ts) and the workbook row contract (valibot,
 * src/ingest/rows.ts) both build their schemas from these, so the two paths cannot drift apart.
 * Why each bound is what it is: docs/api.md#numbers.
 */

export const NAME_MAX_LENGTH = 100;
export const AGE = { min: 18, max: 120 } as const;
/** 7 to 15 digits: 10-digit Indian mobiles exceed 2^31, so never an int32. */
export const PHONE_NUMBER = { min: 1_000_000, max: 999_999_999_999_999 } as const;
/** Monthly income or salary, in rupees: 36 × this stays an exact integer number of paise. */
export const MAX_MONTHLY_INCOME = 1_000_000_000;
export const MAX_LOAN_AMOUNT = 1_000_000_000;
/**
 * The lender's recorded figures (an approved limit, a monthly payment) are kept as given, up to
 * this: far above any real one, and still exact in paise.
 */
export const MAX_RECORDED_AMOUNT = 1_000_000_000_000;
export const INTEREST_RATE = { min: 0, max: 100 } as const;

// Defined beside the instalment's arithmetic, which is exact up to its maximum.
export { TENURE_MONTHS };

/**
 * The 2-decimal rule of every amount and rate. A whole number has no decimals: far past any bound,
 * value × 100 / 100 can read back as another double (1e21 does), and a value refused for its
 * range was also said to have a third decimal.
 */
export function hasAtMostTwoDecimals(value: number): boolean {
  return Number.isInteger(value) || isNearestToTwoDecimals(value);
}

/** A loan's terms as a request or a workbook row gives them: rupees, percent, months. */
export interface LoanTermsInput {
  loan_amount: number;
  interest_rate: number;
  tenure: number;
}

export const INSTALMENT_ROUNDS_TO_ZERO =
  "is too small for the tenure: the monthly instalment would round to 0.00";

/**
 * Whether the loan's EMI is at least one paisa: one rounding to 0.00 is never repaid by its
 * schedule. Judged at the rate given; the API refuses such a request and ingestion such a row.
 */
export function hasPayableInstalment(loan: LoanTermsInput): boolean {
  return (
    monthlyInstalmentPaise(
      rupeesToPaise(loan.loan_amount),
      percentToBasisPoints(loan.interest_rate),
      loan.tenure,
    ) > 0
  );
}

/** The last date a loan's schedule may reach: the last a four-digit year can write. */
export const LAST_SCHEDULE_DATE = "9999-12-31";

/**
 * Whether a loan starting on `startDate` ends (start plus tenure months, its last due date) by
 * LAST_SCHEDULE_DATE; a later one has no YYYY-MM-DD end date, and the calendar refuses it.
 */
export function endsByLastScheduleDate(startDate: string, tenure: number): boolean {
  return canAddMonths(startDate, tenure);
}

/** C0 controls (U+0000–U+001F) and DEL: the backends' drivers store and return them differently. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** With the `u` flag a surrogate pair is one code point, so this matches only unpaired halves. */
const UNPAIRED_SURROGATE = /[\ud800-\udfff]/u;

export function hasUnpairedSurrogate(text: string): boolean {
  return UNPAIRED_SURROGATE.test(text);
}
