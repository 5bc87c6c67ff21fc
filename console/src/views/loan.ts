import { api } from "../api";
import { onSubmit } from "../forms";
import { counted, facts, h, money, percent, show } from "../render";
import type { LoanDetail, Statement } from "../types";
import { closedState } from "./closed-loan";
import { instalmentLabel } from "./instalment";
import { loanState } from "./loans";
import type { PaymentPanel } from "./payment";

export function setUpLoan(form: HTMLFormElement, payment: PaymentPanel): void {
  let shown: string | null = null;
  onSubmit(form, async ({ loan_id }) => {
    const asked = String(loan_id);
    let body: LoanDetail;
    let statement: Statement | null;
    try {
      ({ body } = await api<LoanDetail>("GET", `/view-loan/${encodeURIComponent(asked)}`));
      statement = await closingStatement(body);
    } catch (error) {
      // Another loan asked for and not answered: the one shown (and its payment form) must go. The
      // same loan read again after a payment keeps its view and receipt under the error.
      if (asked !== shown) {
        shown = null;
        show("loan-result");
        payment.hide();
      }
      throw error;
    }
    shown = asked;
    show(
      "loan-result",
      h(
        "p",
        { class: "verdict" },
        `Loan ${body.loan_id}${body.source_loan_id !== null && body.source_loan_id !== body.loan_id ? ` (workbook id ${body.source_loan_id})` : ""}`,
      ),
      facts([
        [
          "Customer",
          `${body.customer.first_name} ${body.customer.last_name} (#${body.customer.id}, age ${body.customer.age})`,
        ],
        ["Phone", body.customer.phone_number],
        ["Amount", money(body.loan_amount)],
        ["Rate", percent(body.interest_rate)],
        // Named from the same answer as the figure: a workbook loan's is the one recorded there.
        [instalmentLabel(body.monthly_installment_basis), money(body.monthly_installment)],
        [
          "Tenure",
          `${body.tenure} months, ${body.emis_paid_on_time} paid on time, ${body.repayments_left} left`,
        ],
        ["Period", `${body.start_date} to ${body.end_date} (${loanState(body)})`],
        ["Status", statusOf(body, statement)],
      ]),
      h(
        "p",
        {},
        h(
          "a",
          { href: `#statement/${body.customer.id}/${body.loan_id}` },
          `Statement of loan ${body.loan_id}`,
        ),
      ),
    );
    await payment.showFor(body, statement);
    const state = statusOf(body, statement);
    return `Loan ${body.loan_id} of customer ${body.customer.id}: ${state}${body.status === "closed" ? "" : `, ${counted(body.repayments_left, "repayment")} left`}`;
  });
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
