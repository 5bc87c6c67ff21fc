import { ApiError, api } from "../api";
import { errorText, onSubmit, showFieldError } from "../forms";
import { facts, h, money, show } from "../render";
import type { LoanDetail, PaymentResult, Statement } from "../types";
import {
  forgottenUnanswered,
  keyFor,
  type Unanswered,
  unanswered,
  untilAnswered,
} from "../unanswered";
import { closedSentence } from "./closed-loan";
import { instalmentNote } from "./instalment";

/*
 * Taking a payment on the loan shown in the loan view. Like booking, it sends an Idempotency-Key
 * that stays the same until the form is edited (or another loan is shown): a double click or a
 * retry after a network error or a 5xx records one payment. Unlike a booked loan, a receipt ends
 * the request: the amount is cleared and a new key started, as the next payment is another one.
 * A payment still unanswered when the page is reloaded comes back, with its key, on its loan; the
 * same amount typed again on that loan is sent under that key too.
 */

export interface PaymentPanel {
  /**
   * Shows the panel for a loan; a new loan starts a fresh form, the same one keeps the receipt.
   * Its next instalment is read first, and not drawn once `stillCurrent()` is false.
   */
  showFor(loan: LoanDetail, closing: Statement | null, stillCurrent: () => boolean): Promise<void>;
  /** No loan shown: nothing to pay. */
  hide(): void;
}

interface Target {
  customerId: number;
  loanId: number;
}

/** `onAnswered` reads the loan again, after a payment or a refusal. */
export function setUpPayment(form: HTMLFormElement, onAnswered: () => void): PaymentPanel {
  const panel = document.getElementById("payment-panel");
  const amount = form.querySelector<HTMLInputElement>("input[name=amount]");
  let target: Target | null = null;
  let key: string = crypto.randomUUID();
  form.addEventListener("input", () => {
    key = crypto.randomUUID();
  });

  onSubmit(form, async (values) => {
    const paying = target;
    if (!paying) return;
    const path = `/make-payment/${paying.customerId}/${paying.loanId}`;
    // The officer moved to another loan while this was in flight: its receipt or refusal must not
    // appear under that loan. This loan's view shows the outcome when it is opened again.
    const movedOn = () => target?.loanId !== paying.loanId;
    key = keyFor(`payment-${paying.loanId}`, values, key);
    const sent = key;
    try {
      const { headers, body } = await untilAnswered(
        `payment-${paying.loanId}`,
        { key: sent, values },
        () => api<PaymentResult>("POST", path, values, { "Idempotency-Key": sent }),
        { consequence: "it is paid again", lookIn: "the loan's statement" },
      );
      if (movedOn()) return;
      const replayed = headers.get("Idempotent-Replayed") === "true";
      show("payment-result", ...receipt(body, replayed));
      // A receipt ends this request: kept, the next press replayed it and paid nothing. Emptied, a
      // press by accident is the field's error; an amount typed meanwhile has its own key already.
      if (key === sent) {
        key = crypto.randomUUID();
        if (amount) amount.value = "";
      }
      onAnswered();
      const recorded = `Payment of ${money(body.amount)} recorded; ${body.status === "closed" ? "loan repaid in full" : `${money(body.balance_after)} outstanding`}`;
      return replayed ? `${recorded} (already sent: nothing new paid)` : recorded;
    } catch (error) {
      if (movedOn()) return;
      if (!(error instanceof ApiError) || typeof error.problem.code !== "string") throw error;
      const refusal = refusalText(error);
      // Not the amount's fault (the loan repaid in another tab): said beside the form, not in it,
      // as the loan read again below may hide the form. In its alert, it went with the form, and
      // the page went on offering the instalment and the payoff of a loan repaid.
      const said = refusal
        ? showFieldError(form, "amount", refusal)
        : `Not paid: ${errorText(error)}`;
      show("payment-result", !refusal && h("p", { class: "refused" }, said));
      // A refusal can come from figures gone stale (another officer's payment): read them again.
      onAnswered();
      return said;
    }
  });

  return {
    hide() {
      target = null;
      if (panel) panel.hidden = true;
    },
    async showFor(loan, closing, stillCurrent) {
      if (target?.loanId !== loan.loan_id) {
        // A payment on this loan that got no answer (the page reloaded mid-request) is offered
        // again under its key: typed again under a new one, it was recorded twice.
        const pending = unanswered(`payment-${loan.loan_id}`);
        // One the API no longer knows the key of would be paid again: said, not offered.
        const forgotten = pending ? null : forgottenUnanswered(`payment-${loan.loan_id}`);
        key = pending?.key ?? crypto.randomUUID();
        if (amount) amount.value = pending ? String(pending.values.amount ?? "") : "";
        show(
          "payment-result",
          pending &&
            h(
              "p",
              { class: "replayed" },
              "The payment in the Amount field was sent and got no answer: it may have been recorded. Press Pay to send it again unchanged; if it was recorded, its receipt is shown and nothing new is paid.",
            ),
          forgotten && h("p", { class: "replayed" }, forgottenPaymentText(forgotten)),
        );
        // The previous loan's instalment and payoff, left while this one's are read (or when that
        // read fails), read as this loan's: an officer could key another loan's payoff here.
        show("payment-due");
      }
      target = { customerId: loan.customer.id, loanId: loan.loan_id };
      if (panel) panel.hidden = false;
      // The payoff's Pay (or Amount) has the focus as the form goes: hidden, it left the focus on
      // <body>, and the next Tab started at the top of the page. It goes to the note instead.
      const hadFocus = form.contains(document.activeElement);
      form.hidden = loan.status === "closed";
      // A closed loan is worded from the statement the loan view read (none for one repaid past
      // 9999-12-31, closed_on null, which has no statement to read).
      if (loan.status === "closed") {
        const text = closing ? closedSentence(closing) : "Repaid in full.";
        const note = h("p", { class: "closed", tabindex: "-1" }, text);
        show("payment-due", note);
        if (hadFocus) note.focus();
        return;
      }
      const { body } = await api<Statement>(
        "GET",
        `/view-statement/${target.customerId}/${target.loanId}`,
      );
      // Another loan entered while this statement loaded: drawn, this loan's instalment and payoff
      // showed after the officer had asked for that loan, until its own replaced them. Nor do the
      // figures shown before stay: after a payment they are this loan's from before it.
      if (!stillCurrent()) {
        show("payment-due");
        return;
      }
      show("payment-due", ...nextInstalment(body));
    },
  };
}

function forgottenPaymentText({
  values,
  sentWhen,
}: {
  values: Unanswered["values"];
  sentWhen: string;
}) {
  const sent = typeof values.amount === "number" ? money(values.amount) : String(values.amount);
  return `A payment of ${sent} sent ${sentWhen} got no answer, and the API remembers a request for 24 hours only: sent again now, it would be paid again if it was recorded. Look for it in the loan's statement before taking it again.`;
}

/**
 * What the next payment settles, so the officer can key the instalment or the payoff, and which
 * figure that is where the loan view shows another (a workbook loan's recorded instalment).
 */
function nextInstalment(statement: Statement): (HTMLElement | null)[] {
  const next = statement.next_installment;
  if (!next) return [];
  const note = instalmentNote(statement);
  return [
    facts([
      ["Next instalment", `Period ${next.period}, due ${next.due_date}`],
      ["Instalment due", money(next.amount_due)],
      ["Interest due", money(next.interest_due)],
      ["Payoff", money(next.payoff_amount)],
    ]),
    note === null ? null : h("p", { class: "note" }, note),
  ];
}

function receipt(result: PaymentResult, replayed: boolean): (HTMLElement | false)[] {
  const closed = result.status === "closed";
  return [
    h(
      "p",
      { class: "verdict approved" },
      closed ? `Paid ${money(result.amount)}: loan repaid in full` : `Paid ${money(result.amount)}`,
    ),
    // A retry of a payment the API had recorded (its answer lost): the first answer, nothing new.
    replayed &&
      h(
        "p",
        { class: "replayed" },
        "Already sent: this is the first answer; nothing new was paid. To take another payment, enter its amount.",
      ),
    facts([
      ["Period", `${result.period} (due ${result.due_date})`],
      ["Interest", money(result.interest_paid)],
      ["Principal", money(result.principal_paid)],
      ["Balance after", money(result.balance_after)],
      ["On time", result.on_time ? "yes" : "no"],
      [
        "New EMI",
        `${money(result.monthly_installment)} (${result.emi_recalculated ? "recalculated" : "unchanged"})`,
      ],
      ["Repayments left", result.repayments_left],
      ["Status", closed ? `closed on ${result.closed_on}` : "active"],
      ["Next due", result.next_due_date ?? "—"],
    ]),
  ];
}

/** An amount refusal in the console's words, with the amount that applies; null for any other error. */
function refusalText(error: ApiError): string | null {
  const figure = (name: string) => {
    const value = error.problem[name];
    return typeof value === "number" ? money(value) : null;
  };
  switch (error.problem.code) {
    case "AMOUNT_BELOW_INTEREST_DUE":
      return `Amount is below this period's interest of ${figure("interest_due")}: a payment must cover it.`;
    case "AMOUNT_EXCEEDS_PAYOFF":
      return `Amount is more than the ${figure("payoff_amount")} that repays the loan in full.`;
    case "AMOUNT_BELOW_FINAL_INSTALMENT":
      return `Amount is short of the final instalment of ${figure("amount_due")}, which must be paid in full.`;
    default:
      return null;
  }
}
