import { h, money } from "../render";
import type { Statement } from "../types";

/*
 * Which monthly instalment is which (docs/servicing.md, "Workbook loans"): a loan from the
 * lender's workbook shows the Monthly payment recorded there until its first payment through the
 * API, while the instalment due is the schedule's EMI, which may differ. Both were called the
 * monthly instalment: loan 9971 showed ₹2,842.00, and its payment panel asked ₹1,413.86.
 */

const RECORDED = "recorded in the lender's workbook";
const RECORDED_LABEL = `Monthly instalment (${RECORDED})`;
const UNTIL_FIRST_PAYMENT = "shown until the loan's first payment here";
/** The marker on a recorded figure in a list of loans, explained by recordedNote. */
const MARKER = "*";

/** The loan's `monthly_installment` is still the figure recorded in the lender's workbook. */
export function recordedInWorkbook(statement: Statement | null): boolean {
  return (
    statement !== null &&
    statement.schedule_basis === "reconstructed" &&
    !statement.payments.some((entry) => entry.source === "api")
  );
}

/** The term for the loan's `monthly_installment`: plain until its statement says where it is from. */
export function instalmentLabel(statement: Statement | null): string {
  return recordedInWorkbook(statement) ? RECORDED_LABEL : "Monthly instalment";
}

/** A line beside the instalment due where it is not the loan's recorded figure; null elsewhere. */
export function instalmentNote(statement: Statement): string | null {
  const due = statement.next_installment?.amount_due;
  if (due === undefined || due === statement.monthly_installment) return null;
  if (!recordedInWorkbook(statement)) return null;
  return `The schedule asks ${money(due)} this period; ${money(statement.monthly_installment)} is the monthly payment ${RECORDED}, ${UNTIL_FIRST_PAYMENT}.`;
}

/**
 * A loan's `monthly_installment` in a table cell, as its statement says where it is from: a
 * recorded figure is marked for the eye and said in words to a screen reader (the marker is not).
 */
export function instalmentCell(figure: number, statement: Statement | null): (string | Node)[] {
  if (!recordedInWorkbook(statement)) return [money(figure)];
  return [
    money(figure),
    h("span", { class: "visually-hidden" }, ` (${RECORDED})`),
    h("span", { "aria-hidden": "true" }, MARKER),
  ];
}

/** The note under a table with a marked figure. */
export function recordedNote(): HTMLElement {
  return h(
    "p",
    { class: "note" },
    `${MARKER} ${RECORDED_LABEL}, ${UNTIL_FIRST_PAYMENT}: the loan's view has the instalment due, which may differ.`,
  );
}
