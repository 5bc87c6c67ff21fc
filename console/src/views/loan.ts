import { api } from "../api";
import { onLookup } from "../forms";
import { counted, customerName, facts, h, money, percent, show } from "../render";
import type { LoanDetail, Statement } from "../types";
import { closedState } from "./closed-loan";
import { instalmentLabel } from "./instalment";
import { loanState } from "./loans";
import type { PaymentPanel } from "./payment";

export function setUpLoan(form: HTMLFormElement, payment: PaymentPanel): void {
  let shown: string | null = null;
  onLookup(form, {
    async ask({ loan_id }) {
      const path = `/view-loan/${encodeURIComponent(String(loan_id))}`;
      const { body } = await api<LoanDetail>("GET", path);
      return { body, statement: await closingStatement(body) };
    },
    draw({ body, statement }, { loan_id }, stillCurrent) {
      shown = String(loan_id);
      return drawLoan(body, statement, payment, stillCurrent);
    },
    // Another loan asked for and not answered: the one shown (and its payment form) must go. The
    // same loan read again after a payment keeps its view and receipt under the error.
    failed({ loan_id }) {
      if (String(loan_id) === shown) return;
      shown = null;
      show("loan-result");
      payment.hide();
    },
  });
}

/**
 * Shows a loan and its payment panel, and returns the loan in a sentence. The panel reads the
 * statement first: `stillCurrent` says whether its figures are still for the loan asked for last.
 */
async function drawLoan(
  loan: LoanDetail,
  statement: Statement | null,
  payment: PaymentPanel,
  stillCurrent: () => boolean,
): Promise<string> {
  show(
    "loan-result",
    h(
      "p",
      { class: "verdict" },
      `Loan ${loan.loan_id}${loan.source_loan_id !== null && loan.source_loan_id !== loan.loan_id ? ` (workbook id ${loan.source_loan_id})` : ""}`,
    ),
    facts([
      [
        "Customer",
        h(
          "span",
          {},
          customerName(loan.customer.first_name, loan.customer.last_name),
          ` (#${loan.customer.id}, age ${loan.customer.age})`,
        ),
      ],
      ["Phone", loan.customer.phone_number],
      ["Amount", money(loan.loan_amount)],
      ["Rate", percent(loan.interest_rate)],
      // Named from the same answer as the figure: a workbook loan's is the one recorded there.
      [instalmentLabel(loan.monthly_installment_basis), money(loan.monthly_installment)],
      [
        "Tenure",
        `${loan.tenure} months, ${loan.emis_paid_on_time} paid on time, ${loan.repayments_left} left`,
      ],
      ["Period", `${loan.start_date} to ${loan.end_date} (${loanState(loan)})`],
      ["Status", statusOf(loan, statement)],
    ]),
    h(
      "p",
      {},
      h(
        "a",
        { href: `#statement/${loan.customer.id}/${loan.loan_id}` },
        `Statement of loan ${loan.loan_id}`,
      ),
    ),
  );
  await payment.showFor(loan, statement, stillCurrent);
  const state = statusOf(loan, statement);
  return `Loan ${loan.loan_id} of customer ${loan.customer.id}: ${state}${loan.status === "closed" ? "" : `, ${counted(loan.repayments_left, "repayment")} left`}`;
}

/**
 * A closed loan's statement, read once for its Status and its payment panel: only its ledger says
 * how it closed (closed-loan.ts). None for an open loan, nor for one stored by an older release
 * repaid past 9999-12-31 (closed_on null), which has no statement to read.
 */
async function closingStatement(loan: LoanDetail): Promise<Statement | null> {
  if (loan.status !== "closed" || loan.closed_on === null) return null;
  const path = `/view-statement/${loan.customer.id}/${loan.loan_id}`;
  return (await api<Statement>("GET", path)).body;
}

function statusOf(loan: LoanDetail, statement: Statement | null): string {
  if (loan.status !== "closed") return "active";
  return statement ? closedState(statement) : "closed";
}
