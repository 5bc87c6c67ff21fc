import { api } from "../api";
import { onSubmit } from "../forms";
import { facts, h, money, percent, show } from "../render";
import type { LoanDetail } from "../types";
import { closedState } from "./closed-loan";
import { loanState } from "./loans";
import type { PaymentPanel } from "./payment";

export function setUpLoan(form: HTMLFormElement, payment: PaymentPanel): void {
  let shown: string | null = null;
  onSubmit(form, async ({ loan_id }) => {
    const asked = String(loan_id);
    let body: LoanDetail;
    try {
      ({ body } = await api<LoanDetail>("GET", `/view-loan/${encodeURIComponent(asked)}`));
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
        ["Monthly instalment", money(body.monthly_installment)],
        [
          "Tenure",
          `${body.tenure} months, ${body.emis_paid_on_time} paid on time, ${body.repayments_left} left`,
        ],
        ["Period", `${body.start_date} to ${body.end_date} (${loanState(body)})`],
        ["Status", body.status === "closed" ? closedState(body) : "active"],
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
    await payment.showFor(body);
  });
}
