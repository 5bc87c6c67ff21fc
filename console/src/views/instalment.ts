import { money } from "../render";
import type { Statement } from "../types";

/*
 * Which monthly instalment is which (docs/servicing.md, "Workbook loans"): a loan from the
 * lender's workbook shows the Monthly payment recorded there until its first payment through the
 * API, while the instalment due is the schedule's EMI, which may differ. Both were called the
 * monthly instalment: loan 9971 showed ₹2,842.00, and its payment panel asked ₹1,413.86.
 */

/** The loan's `monthly_installment` is still the figure recorded in the lender's workbook. */
function recordedInWorkbook(statement: Statement): boolean {
  return (
    statement.schedule_basis === "reconstructed" &&
    !statement.payments.some((entry) => entry.source === "api")
  );
}

/** The term for the loan's `monthly_installment`: plain until its statement says where it is from. */
export function instalmentLabel(statement: Statement | null): string {
  return statement && recordedInWorkbook(statement)
    ? "Monthly instalment (recorded in the lender's workbook)"
    : "Monthly instalment";
}

/** A line beside the instalment due where it is not the loan's recorded figure; null elsewhere. */
export function instalmentNote(statement: Statement): string | null {
  const due = statement.next_installment?.amount_due;
  if (due === undefined || due === statement.monthly_installment) return null;
  if (!recordedInWorkbook(statement)) return null;
  return `The schedule asks ${money(due)} this period; ${money(statement.monthly_installment)} is the monthly payment recorded in the lender's workbook, shown until the loan's first payment here.`;
}
