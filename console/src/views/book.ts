import { api } from "../api";
import { onSubmit } from "../forms";
import { facts, h, money, percent, show } from "../render";
import type { CreateLoanResult } from "../types";
import { reasonList } from "./check";

/*
 * Booking sends an Idempotency-Key that stays the same until the form changes: a double click or
 * a retry after a network error books one loan; editing the form starts a new request.
 */
export function setUpBook(form: HTMLFormElement): void {
  let key = crypto.randomUUID();
  form.addEventListener("input", () => {
    key = crypto.randomUUID();
  });
  onSubmit(form, async (values) => {
    const { status, headers, body } = await api<CreateLoanResult>("POST", "/create-loan", values, {
      "Idempotency-Key": key,
    });
    const booked = status === 201 && body.loan_id !== null;
    show(
      "book-result",
      h(
        "p",
        { class: booked ? "verdict approved" : "verdict refused" },
        booked ? `Booked loan ${body.loan_id}` : "Not approved",
      ),
      // Same form sent again: the API answered with the first decision and booked nothing new.
      headers.get("Idempotent-Replayed") === "true" &&
        h(
          "p",
          { class: "replayed" },
          "Already sent: this is the first answer; nothing new was booked.",
        ),
      booked && h("p", {}, h("a", { href: `#loan/${body.loan_id}` }, `View loan ${body.loan_id}`)),
      h("p", {}, body.message),
      facts([
        ["Rate", percent(body.interest_rate)],
        ["Monthly instalment", money(body.monthly_installment)],
        ["Credit score", body.credit_score],
        ["Period", body.start_date ? `${body.start_date} to ${body.end_date}` : "—"],
      ]),
      reasonList(body.reasons),
    );
  });
}
