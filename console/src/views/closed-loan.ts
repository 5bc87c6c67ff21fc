import type { Statement } from "../types";

/*
 * How the console words a closed loan, the same in the loan view, its payment panel and the
 * statement, from the statement's ledger. A loan the workbook's count of EMIs paid closed (its
 * closing ledger entry is the workbook's) closes on its last instalment's due date, which may be
 * years after today (docs/servicing.md#a-current-loan): that date is not the day it was repaid.
 * view-loan alone cannot tell: its end_date is the workbook's recorded End Date, which need not
 * be the schedule's last due date.
 */

function closedByWorkbookCount(statement: Statement): boolean {
  return statement.status === "closed" && statement.payments.at(-1)?.source === "workbook";
}

/** The loan's status in a phrase: "repaid in full (last instalment due …)" or "closed on …". */
export function closedState(statement: Statement): string {
  return closedByWorkbookCount(statement)
    ? `repaid in full (last instalment due ${statement.closed_on})`
    : `closed on ${statement.closed_on}`;
}

/** The same as a sentence, where the payment form would be. */
export function closedSentence(statement: Statement): string {
  return closedByWorkbookCount(statement)
    ? `Repaid in full (last instalment due ${statement.closed_on}).`
    : `Repaid in full on ${statement.closed_on}.`;
}
