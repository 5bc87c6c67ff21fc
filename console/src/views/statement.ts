import { api } from "../api";
import { onLookup } from "../forms";
import { counted, facts, h, money, percent, scrollingTable, show } from "../render";
import type { Statement } from "../types";
import { closedState } from "./closed-loan";
import { instalmentLabel } from "./instalment";
import { statementChart } from "./statement-chart";

/*
 * A loan's statement: the totals, the chart, the payments ledger (API payments and the periods the
 * workbook counts as paid) and the whole schedule with each period's status as of the as-of date
 * the API computed it on, which the page (and so the printout) names.
 */

export function setUpStatement(form: HTMLFormElement): void {
  onLookup(form, {
    async ask({ customer_id, loan_id }) {
      const path = `/view-statement/${encodeURIComponent(String(customer_id))}/${encodeURIComponent(String(loan_id))}`;
      return (await api<Statement>("GET", path)).body;
    },
    draw: drawStatement,
  });
}

/**
 * Shows a loan's statement and returns it in a sentence, which names the as-of date as the page
 * does: a screen reader hears the figures with the day they hold on.
 */
function drawStatement(statement: Statement): string {
  show(
    "statement-result",
    h(
      "p",
      { class: "verdict" },
      `Loan ${statement.loan_id} of customer ${statement.customer_id}: ${statement.status === "closed" ? closedState(statement) : "active"}`,
    ),
    // Overdue, due and the next instalment hold on this day only: a printout read later says which.
    h(
      "p",
      { class: "as-of" },
      "Statement as of ",
      h("time", { datetime: statement.as_of }, statement.as_of),
    ),
    summary(statement),
    h("p", {}, h("a", { href: `#loan/${statement.loan_id}` }, `View loan ${statement.loan_id}`)),
    statementChart(statement),
    h(
      "ul",
      { class: "legend" },
      h("li", { class: "principal" }, "Principal"),
      h("li", { class: "interest" }, "Interest"),
      h("li", { class: "balance" }, "Balance (dashed where projected)"),
    ),
    ledger(statement),
    schedule(statement),
  );
  const paid = statement.schedule.filter((row) => row.status === "paid").length;
  const told = `Statement of loan ${statement.loan_id} as of ${statement.as_of}: ${counted(statement.schedule.length, "instalment")}, ${paid} paid`;
  return statement.status === "closed" ? `${told}; ${closedState(statement)}` : told;
}

function summary(statement: Statement): HTMLElement {
  const next = statement.next_installment;
  return facts([
    ["Principal", money(statement.principal)],
    ["Rate", percent(statement.interest_rate)],
    ["Tenure", `${statement.tenure} months, ${statement.start_date} to ${statement.end_date}`],
    ["Amount paid", money(statement.amount_paid)],
    ["Principal paid", money(statement.principal_paid)],
    ["Interest paid", money(statement.interest_paid)],
    ["Outstanding principal", money(statement.outstanding_principal)],
    [instalmentLabel(statement.monthly_installment_basis), money(statement.monthly_installment)],
    ["Repayments left", statement.repayments_left],
    ["EMIs paid on time", statement.emis_paid_on_time],
    [
      "Next instalment",
      next
        ? `Period ${next.period} due ${next.due_date}: ${money(next.amount_due)} (payoff ${money(next.payoff_amount)})`
        : "—",
    ],
    [
      "Schedule",
      statement.schedule_basis === "contract"
        ? "as booked"
        : "reconstructed from the workbook's count of EMIs paid on time",
    ],
  ]);
}

/**
 * The line above a table's header row on paper, "Loan 5543 of customer 8 · statement as of
 * 2025-06-15": Chromium repeats a table's thead on each page it runs onto, so a page that comes
 * loose from the first still says whose it is and of which day. Only printed (console.css), and
 * hidden from screen readers, which have it once in the verdict and the as-of line.
 */
function runningHead(statement: Statement, columns: number): HTMLElement {
  return h(
    "tr",
    { class: "running-head", "aria-hidden": "true" },
    h(
      "td",
      { colspan: String(columns) },
      `Loan ${statement.loan_id} of customer ${statement.customer_id} · statement as of `,
      h("time", { datetime: statement.as_of }, statement.as_of),
    ),
  );
}

function table(
  statement: Statement,
  caption: string,
  headings: string[],
  rows: HTMLElement[],
): HTMLElement {
  // Every column but the first, the dates and the texts is a sum of money, set right-aligned.
  const texts = new Set(["Paid on", "Due", "On time", "Source", "Status"]);
  const header = h(
    "tr",
    {},
    ...headings.map((title, i) =>
      h("th", { scope: "col", class: i > 0 && !texts.has(title) ? "num" : "" }, title),
    ),
  );
  const head = h("thead", {}, runningHead(statement, headings.length), header);
  return scrollingTable(caption, head, h("tbody", {}, ...rows));
}

const cell = (value: string | number) => h("td", {}, value);
const sum = (value: number) => h("td", { class: "num" }, money(value));

function ledger(statement: Statement): HTMLElement {
  if (statement.payments.length === 0) return h("p", {}, "No payments yet.");
  const headings = ["Period", "Paid on", "Amount", "Interest", "Principal", "Balance after"];
  const rows = statement.payments.map((entry) =>
    h(
      "tr",
      { "data-source": entry.source },
      cell(entry.period),
      cell(entry.paid_on),
      sum(entry.amount),
      sum(entry.interest),
      sum(entry.principal),
      sum(entry.balance_after),
      cell(entry.on_time ? "yes" : "no"),
      cell(entry.source),
    ),
  );
  return table(statement, "Payments", [...headings, "On time", "Source"], rows);
}

function schedule(statement: Statement): HTMLElement {
  const headings = ["Period", "Due", "Instalment", "Principal", "Interest", "Balance after"];
  const rows = statement.schedule.map((row) =>
    h(
      "tr",
      { class: `status-${row.status}` },
      cell(row.period),
      cell(row.due_date),
      sum(row.installment),
      sum(row.principal),
      sum(row.interest),
      sum(row.balance_after),
      cell(row.status),
    ),
  );
  return table(statement, "Schedule", [...headings, "Status"], rows);
}
