import type { Database } from "../../src/db/database";
import { loans } from "../../src/db/schema";
import { monthlyInstalmentPaise } from "../../src/domain/loan-terms";

/*
 * A workbook ("legacy") loan written straight into the database as ingestion stores one, so a test
 * can hold rows an older release left that today's ingestion or API would refuse or never make. It
 * takes the drizzle handle: a route test passes backend().database(), a Node test its libSQL file's.
 */

export type LoanRow = typeof loans.$inferInsert;

// Unique per process, so two loans of one customer never meet on (source_loan_id, customer_id).
let lastSourceLoanId = 700_000;

/**
 * What a legacy loan is unless the row says otherwise: ₹1,00,000 at 10 % over 600 months from
 * 9990-01-31, to the workbook's End Date 9999-12-31 (a YYYY-MM-DD date, so never past it) — a
 * schedule that runs past the calendar (docs/servicing.md#loans-stored-by-older-releases).
 */
export const LEGACY_LOAN = {
  loanAmountPaise: 10_000_000,
  interestRateBp: 1000,
  tenure: 600,
  startDate: "9990-01-31",
  endDate: "9999-12-31",
} as const satisfies Partial<LoanRow>;

/**
 * Stores a workbook loan row (a source Loan ID, no API payment, state columns null) and returns its
 * id: LEGACY_LOAN, nothing paid, its EMI as the schedule computes it, then `row` over all of it.
 */
export async function storeLegacyLoan(
  db: Database,
  customerId: number,
  row: Partial<LoanRow> = {},
): Promise<number> {
  const loanAmountPaise = row.loanAmountPaise ?? LEGACY_LOAN.loanAmountPaise;
  const interestRateBp = row.interestRateBp ?? LEGACY_LOAN.interestRateBp;
  const tenure = row.tenure ?? LEGACY_LOAN.tenure;
  const emisPaidOnTime = row.emisPaidOnTime ?? 0;
  lastSourceLoanId += 1;
  const [stored] = await db
    .insert(loans)
    .values({
      customerId,
      sourceLoanId: lastSourceLoanId,
      ...LEGACY_LOAN,
      monthlyPaymentPaise: monthlyInstalmentPaise(loanAmountPaise, interestRateBp, tenure),
      emisPaidOnTime,
      workbookEmisPaidOnTime: emisPaidOnTime,
      ...row,
    })
    .returning({ id: loans.id });
  if (!stored) throw new Error("insert failed");
  return stored.id;
}

/**
 * ₹1,000 at 0 % over 600 months from 1975-07-01: its EMI of ₹1.67 (rounded up) repays it in period
 * 599, on 2025-06-01, a month before its last due date (docs/servicing.md#rounding-at-extreme-terms).
 */
export const EXTREME_LEGACY_LOAN: Partial<LoanRow> = {
  loanAmountPaise: 100_000,
  interestRateBp: 0,
  tenure: 600,
  startDate: "1975-07-01",
  endDate: "2025-07-01",
};
