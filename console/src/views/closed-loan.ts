/*
 * How the console words a closed loan, the same in the loan view, its payment panel and the
 * statement. A loan closed on its last due date reads "repaid in full" with that date as the last
 * instalment's due date, not as the day it was repaid: a workbook loan whose count of EMIs paid
 * covers its tenure closes there, which may be years after today (docs/servicing.md#a-current-loan).
 */

interface ClosedLoan {
  /** null for a loan stored by an older release and repaid past 9999-12-31. */
  closed_on: string | null;
  end_date: string;
}

/** The loan's status in a phrase: "repaid in full (last instalment due …)" or "closed on …". */
export function closedState(loan: ClosedLoan): string {
  if (loan.closed_on === null) return "closed";
  if (loan.closed_on === loan.end_date)
    return `repaid in full (last instalment due ${loan.end_date})`;
  return `closed on ${loan.closed_on}`;
}

/** The same as a sentence, where the payment form would be. */
export function closedSentence(loan: ClosedLoan): string {
  if (loan.closed_on === null) return "Repaid in full.";
  if (loan.closed_on === loan.end_date)
    return `Repaid in full (last instalment due ${loan.end_date}).`;
  return `Repaid in full on ${loan.closed_on}.`;
}
