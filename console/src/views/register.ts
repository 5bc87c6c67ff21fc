import { api } from "../api";
import { onSubmit } from "../forms";
import { facts, h, money, show } from "../render";
import type { Customer } from "../types";
import { keyFor, rememberDone, restoreUnanswered, untilAnswered } from "../unanswered";

/*
 * Registering sends an Idempotency-Key that stays the same until the form is edited, as booking
 * does: a retry after a lost answer (a network error, a timeout, a 5xx) shows the customer the
 * first try registered, where it was the phone number's 409 and the officer never saw the id.
 * Like a booked loan, a 201 keeps the key: the same values pressed again show that customer. One
 * unanswered at a reload comes back with its key, and so do the same values typed again.
 */
export function setUpRegister(form: HTMLFormElement): void {
  const pending = restoreUnanswered(
    form,
    "register",
    "register-result",
    "A registration sent before this page was reloaded got no answer: the customer may have been registered. Press Register to send it again unchanged; if they were, the first answer with their customer ID is shown and no one is registered twice.",
    (sentWhen) =>
      `A registration sent ${sentWhen} got no answer, and the API remembers a request for 24 hours only: if the customer was registered, registering them again is refused as their phone number is on file, and their customer ID is not shown again.`,
  );
  let key = pending?.key ?? crypto.randomUUID();
  form.addEventListener("input", () => {
    key = crypto.randomUUID();
  });
  onSubmit(form, async (values) => {
    key = keyFor("register", values, key);
    const sent = key;
    // Sent again once the API has forgotten its key, it is sent, not held back: the phone number
    // on file refuses it (409), so nothing is made twice, and holding it back (pressed once more)
    // showed nothing more, as the console cannot look a customer up by phone number.
    const { headers, body } = await untilAnswered(
      "register",
      { key: sent, values },
      () => api<Customer>("POST", "/register", values, { "Idempotency-Key": sent }),
      null,
    );
    // The key stays, as a booked loan's does: pressed again (a slow double click), the same
    // values are replayed with the customer's ID, where a new key got the phone's 409, which took
    // the ID off the page. Other values typed without an input event get a new key (keyFor).
    rememberDone("register", { key: sent, values });
    const replayed = headers.get("Idempotent-Replayed") === "true";
    show(
      "register-result",
      h("p", { class: "verdict approved" }, `Registered customer ${body.customer_id}`),
      // A retry of a registration the API had made (its answer lost): the first answer.
      replayed &&
        h(
          "p",
          { class: "replayed" },
          "Already sent: this is the first answer; nothing new was registered. To register another customer, enter their details.",
        ),
      facts([
        ["Name", body.name],
        ["Age", body.age],
        ["Phone", body.phone_number],
        ["Monthly income", money(body.monthly_income)],
        ["Approved limit", money(body.approved_limit)],
      ]),
    );
    const registered = `Registered customer ${body.customer_id}`;
    return replayed ? `${registered} (already sent: no one new registered)` : registered;
  });
}
