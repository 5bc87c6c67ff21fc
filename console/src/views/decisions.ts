import { api } from "../api";
import { busyIndicator, statusAfter } from "../busy";
import { errorText, onLookup } from "../forms";
import { counted, facts, h, localTime, money, percent, show } from "../render";
import type { DecisionPage, DecisionRecord } from "../types";
import { scoreBars } from "./check";

/*
 * A customer's decision history: every create-loan decision, newest first, each with its
 * reasons in the words of a refusal letter and its score breakdown. Older pages are appended.
 */

export function setUpDecisions(form: HTMLFormElement): void {
  const result = document.getElementById("decisions-result");
  const olderStatus = result ? statusAfter(result) : h("p");
  const base = (customerId: unknown) =>
    `/customers/${encodeURIComponent(String(customerId))}/decisions`;
  onLookup(form, {
    ask: async ({ customer_id }) => (await api<DecisionPage>("GET", base(customer_id))).body,
    draw(page, { customer_id }) {
      const list = h("ol", {
        class: "decisions",
        "aria-label": `Decisions of customer ${customer_id}`,
      });
      if (page.decisions.length === 0) {
        show("decisions-result", h("p", {}, `Customer ${customer_id} has no recorded decisions.`));
        return `Customer ${customer_id} has no recorded decisions`;
      }
      show("decisions-result", list);
      appendPage(list, page, base(customer_id), olderStatus);
      const shown = `Customer ${customer_id}: ${counted(page.decisions.length, "decision")}`;
      return page.next_cursor ? `${shown}, older ones under "Older decisions"` : shown;
    },
  });
}

/**
 * `status` says, once, that an older page is loading; it is outside the list, which is busy.
 * Returns the page's first decision.
 */
function appendPage(
  list: HTMLElement,
  page: DecisionPage,
  base: string,
  status: HTMLElement,
): HTMLElement | undefined {
  list.querySelector("li.more")?.remove();
  const cards = page.decisions.map(decisionCard);
  for (const card of cards) list.append(h("li", {}, card));
  if (!page.next_cursor) return cards[0];
  const more = h(
    "button",
    { type: "button", "data-busy-label": "Loading…" },
    "Older decisions",
  ) as HTMLButtonElement;
  // Beside the button, where the officer is looking: the form's own alert is a page above.
  const failure = h("p", { class: "form-error", role: "alert" });
  const cursor = page.next_cursor;
  const busy = busyIndicator(list, more, status);
  more.addEventListener("click", async () => {
    const pressedHere = document.activeElement === more;
    busy.start();
    failure.textContent = "";
    let announcement: string | undefined;
    try {
      const path = `${base}?cursor=${encodeURIComponent(cursor)}`;
      const { body } = await api<DecisionPage>("GET", path);
      const first = appendPage(list, body, base, status);
      announcement = `${counted(body.decisions.length, "older decision")} shown`;
      // The button went with its page, and the focus with it to the page: Tab started again at
      // the top. The officer reads on from the first older decision instead.
      if (pressedHere) first?.querySelector<HTMLElement>("h3.verdict")?.focus();
    } catch (error) {
      // The page can be asked for again: the button comes back with the reason it failed.
      failure.textContent = errorText(error);
    } finally {
      busy.end(announcement);
    }
  });
  list.append(h("li", { class: "more" }, more, failure));
  return cards[0];
}

function decisionCard(record: DecisionRecord): HTMLElement {
  const approved = record.loan_approved;
  return h(
    "article",
    { class: "decision", "data-decision-id": record.decision_id },
    h(
      "h3",
      { class: approved ? "verdict approved" : "verdict refused", tabindex: "-1" },
      `${approved ? "Approved" : "Refused"} on ${localTime(record.decided_at)}`,
    ),
    approved &&
      record.loan_id !== null &&
      h("p", {}, h("a", { href: `#loan/${record.loan_id}` }, `View loan ${record.loan_id}`)),
    facts([
      ["Amount", money(record.loan_amount)],
      ["Requested rate", percent(record.requested_interest_rate)],
      ["Rate", percent(record.interest_rate)],
      ["Monthly instalment", money(record.monthly_installment)],
      ["Tenure", `${record.tenure} months`],
      ["Credit score", `${record.credit_score} / 100`],
      ["As of", record.as_of_date],
      ["Model", record.model_version],
      ["Decision ID", record.decision_id],
    ]),
    principalReasons(record.reasons),
    scoreBars(record.score_breakdown, "h4"),
  );
}

function principalReasons(reasons: DecisionRecord["reasons"]): HTMLElement | null {
  if (reasons.length === 0) return null;
  const items = reasons.map((reason) =>
    h(
      "li",
      { "data-code": reason.code },
      h("strong", { class: "principal" }, reason.principal_reason),
      h("span", {}, ` — ${reason.message}`),
      reason.score_factors &&
        h(
          "ul",
          { class: "factors" },
          ...reason.score_factors.map((factor) =>
            h(
              "li",
              { "data-component": factor.component },
              `${factor.description} (${factor.points_lost} points)`,
            ),
          ),
        ),
    ),
  );
  return h("div", {}, h("h4", {}, "Principal reasons"), h("ul", { class: "reasons" }, ...items));
}
