import { api } from "../api";
import { onLookup } from "../forms";
import { counted, h, money, percent, scrollingTable, show } from "../render";
import type { LoanSummary } from "../types";
import { instalmentCell, recordedNote } from "./instalment";

export function setUpLoans(form: HTMLFormElement): void {
  onLookup(form, {
    ask: async ({ customer_id }) =>
      (await api<LoanSummary[]>("GET", `/view-loans/${encodeURIComponent(String(customer_id))}`))
        .body,
    draw: (loans, { customer_id }) => drawLoans(loans, String(customer_id)),
  });
}

/** Shows a customer's loans and returns them in a sentence. */
function drawLoans(loans: LoanSummary[], customerId: string): string {
  const history = h(
    "p",
    {},
    h(
      "a",
      { href: `#decisions/${encodeURIComponent(customerId)}` },
      `Decision history of customer ${customerId}`,
    ),
  );
  if (loans.length === 0) {
    show("loans-result", h("p", {}, `Customer ${customerId} has no loans.`), history);
    return `Customer ${customerId} has no loans`;
  }
  show(
    "loans-result",
    loanTable(loans, customerId, `Loans of customer ${customerId}`),
    loans.some((loan) => loan.monthly_installment_basis === "workbook") && recordedNote(),
    history,
  );
  return `Customer ${customerId} has ${counted(loans.length, "loan")}`;
}

/**
 * A loan's state in a word or two. Only a repaid loan is closed: one past its end date with
 * instalments still owed is not current, yet open (the API's `status` is "active").
 */
export function loanState(loan: Pick<LoanSummary, "status" | "is_current">): string {
  if (loan.status === "closed") return "closed";
  return loan.is_current ? "current" : "open, not current";
}

/** The figures right-aligned; the EMI's column with room for its marker (console.css). */
const HEADER_CLASSES = ["", "num", "num", "num instalment"];

function loanTable(loans: LoanSummary[], customerId: string, caption: string): HTMLElement {
  const header = h(
    "tr",
    {},
    ...["Loan", "Amount", "Rate", "EMI", "Start", "End", "Left", "Status", "Statement"].map(
      (title, i) => h("th", { scope: "col", class: HEADER_CLASSES[i] ?? "" }, title),
    ),
  );
  const rows = loans.map((loan) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `#loan/${loan.loan_id}` }, String(loan.loan_id))),
      h("td", { class: "num" }, money(loan.loan_amount)),
      h("td", { class: "num" }, percent(loan.interest_rate)),
      h("td", { class: "num instalment" }, ...instalmentCell(loan)),
      h("td", {}, loan.start_date),
      h("td", {}, loan.end_date),
      h("td", { class: "num" }, loan.repayments_left),
      h("td", {}, loanState(loan)),
      h(
        "td",
        {},
        h(
          "a",
          {
            href: `#statement/${encodeURIComponent(customerId)}/${loan.loan_id}`,
            "aria-label": `Statement of loan ${loan.loan_id}`,
          },
          "Statement",
        ),
      ),
    ),
  );
  return scrollingTable(caption, h("thead", {}, header), h("tbody", {}, ...rows));
}
