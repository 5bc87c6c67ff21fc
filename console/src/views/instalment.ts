import { h, money } from "../render";
import type { LoanSummary, Statement } from "../types";

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

type InstalmentBasis = LoanSummary["monthly_installment_basis"];

/** The term for the loan's `monthly_installment`. */
export function instalmentLabel(basis: InstalmentBasis): string {
  return basis === "workbook" ? RECORDED_LABEL : "Monthly instalment";
}

/** A line beside the instalment due where it is not the loan's recorded figure; null elsewhere. */
export function instalmentNote(statement: Statement): string | null {
  const due = statement.next_installment?.amount_due;
  if (due === undefined || due === statement.monthly_installment) return null;
  if (statement.monthly_installment_basis !== "workbook") return null;
  return `The schedule asks ${money(due)} this period; ${money(statement.monthly_installment)} is the monthly payment ${RECORDED}, ${UNTIL_FIRST_PAYMENT}.`;
}

/**
 * A loan's `monthly_installment` in a table cell: a workbook figure is marked for the eye and said
 * in words to a screen reader (the marker is not). The marker takes no width (console.css), so
 * that the figure lines up with an unmarked one in the right-aligned column.
 */
export function instalmentCell(loan: LoanSummary): (string | Node)[] {
  const figure = money(loan.monthly_installment);
  if (loan.monthly_installment_basis !== "workbook") return [figure];
  return [
    figure,
    h("span", { class: "visually-hidden" }, ` (${RECORDED})`),
    h("span", { class: "marker", "aria-hidden": "true" }, MARKER),
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
