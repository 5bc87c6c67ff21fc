import { api } from "../api";
import { onSubmit } from "../forms";
import { counted, facts, h, money, percent, show } from "../render";
import type { CreateLoanResult } from "../types";
import { keyFor, lastDone, rememberDone, restoreUnanswered, untilAnswered } from "../unanswered";
import { reasonList } from "./check";

/*
 * Booking sends an Idempotency-Key that stays the same until the form changes: a double click or
 * a retry after a network error books one loan; editing the form starts a new request. A refusal
 * also ends the request: pressing Book again asks for a new decision. A booking still unanswered
 * when the page is reloaded comes back, with its key, to be sent again; so does the same booking
 * typed again, however the form got its values. A new page starts with the last booked request's
 * key, so a form the browser refills as it was booked (the Back button) replays that booking.
 */
export function setUpBook(form: HTMLFormElement): void {
  const pending = restoreUnanswered(
    form,
    "book",
    "book-result",
    "A booking sent before this page was reloaded got no answer: it may have been booked. Press Book to send it again unchanged; if it was booked, its first answer is shown and nothing new is booked.",
    (sentWhen) =>
      `A booking sent ${sentWhen} got no answer, and the API remembers a request for 24 hours only: sent again now, it would book a second loan if it was booked. Look at the customer's loans before booking it again.`,
  );
  let key = pending?.key ?? lastDone("book")?.key ?? crypto.randomUUID();
  form.addEventListener("input", () => {
    key = crypto.randomUUID();
  });
  onSubmit(form, async (values) => {
    key = keyFor("book", values, key);
    const sent = key;
    const { status, headers, body } = await untilAnswered(
      "book",
      { key: sent, values },
      () => api<CreateLoanResult>("POST", "/create-loan", values, { "Idempotency-Key": sent }),
      { consequence: "it books a second loan", lookIn: "the customer's loans" },
    );
    const booked = status === 201 && body.loan_id !== null;
    if (booked) rememberDone("book", { key: sent, values });
    const replayed = headers.get("Idempotent-Replayed") === "true";
    // A refusal is kept for 24 hours under its key: pressed again, the form showed it even after
    // the customer had repaid the loan it counted. A refusal books nothing, so asking again is safe.
    if (!booked && key === sent) key = crypto.randomUUID();
    show(
      "book-result",
      h(
        "p",
        { class: booked ? "verdict approved" : "verdict refused" },
        booked ? `Booked loan ${body.loan_id}` : "Not approved",
      ),
      // Same request sent again (a retry, or a booked form pressed again): the first decision.
      replayed &&
        h(
          "p",
          { class: "replayed" },
          booked
            ? "Already sent: this is the first answer; nothing new was booked. To book another loan, change the form to send a new request."
            : "Already sent: this is the first answer; nothing new was booked. Press Book again for a new decision.",
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
    const decided = booked
      ? `Booked loan ${body.loan_id}`
      : `Not approved, ${counted(body.reasons.length, "reason")}`;
    return replayed ? `${decided} (already sent: nothing new booked)` : decided;
  });
}
