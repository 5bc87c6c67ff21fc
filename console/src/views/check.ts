import { api } from "../api";
import { onLookup } from "../forms";
import { counted, facts, h, money, percent, show } from "../render";
import type { Eligibility } from "../types";

export function setUpCheck(form: HTMLFormElement): void {
  onLookup(form, {
    ask: async (values) => (await api<Eligibility>("POST", "/check-eligibility", values)).body,
    draw(body) {
      show("check-result", ...renderEligibility(body));
      const score = `credit score ${body.credit_score}`;
      return body.approval
        ? `Customer ${body.customer_id}: eligible, ${score}, at ${percent(body.corrected_interest_rate)}`
        : `Customer ${body.customer_id}: not eligible, ${score}, ${counted(body.reasons.length, "reason")}`;
    },
  });
}

function renderEligibility(result: Eligibility): HTMLElement[] {
  const verdict = result.approval
    ? h("p", { class: "verdict approved" }, "Eligible")
    : h("p", { class: "verdict refused" }, "Not eligible");
  return [
    verdict,
    facts([
      ["Credit score", `${result.credit_score} / 100`],
      ["Band", bandOf(result.credit_score, result.rate_floor)],
      ["Requested rate", percent(result.interest_rate)],
      ["Corrected rate", percent(result.corrected_interest_rate)],
      ["Monthly instalment", money(result.monthly_installment)],
      [
        "Current loans",
        `${money(result.current_loans_amount)} of ${money(result.approved_limit)} limit`,
      ],
    ]),
    reasonList(result.reasons),
    scoreBars(result.score_breakdown),
  ].filter((element): element is HTMLElement => element !== null);
}

function bandOf(score: number, floor: number | null): string {
  if (score <= 10) return "score 10 or below: no loan";
  return floor === null ? "score above 50: the requested rate" : `rate floor ${percent(floor)}`;
}

export function reasonList(reasons: Eligibility["reasons"]): HTMLElement | null {
  if (reasons.length === 0) return null;
  return h(
    "div",
    {},
    h("h3", {}, "Why not"),
    h(
      "ul",
      { class: "reasons" },
      ...reasons.map((r) => h("li", { "data-code": r.code }, r.message)),
    ),
  );
}

/**
 * `heading`: the breakdown's heading level under what it explains; a decision's card, whose own
 * heading is an h3, gives h4: at h3 it read as the next card's sibling in a screen reader's list.
 */
export function scoreBars(
  breakdown: Eligibility["score_breakdown"],
  heading: "h3" | "h4" = "h3",
): HTMLElement {
  const items = breakdown.map((component) => {
    const share =
      component.max_points > 0 ? Math.max(0, component.points) / component.max_points : 0;
    const label = component.component.replaceAll("_", " ");
    const fill = h("span", { class: "fill" });
    // Set through the CSSOM: the console's Content-Security-Policy forbids inline style attributes.
    fill.style.width = `${Math.round(share * 100)}%`;
    return h(
      "li",
      { class: component.points < 0 ? "bar negative" : "bar" },
      h("span", {}, label),
      h(
        "span",
        {
          class: "track",
          role: "img",
          "aria-label": `${label}: ${component.points} of ${component.max_points} points`,
        },
        fill,
      ),
      h("span", {}, `${component.points} / ${component.max_points}`),
    );
  });
  return h("div", {}, h(heading, {}, "Score breakdown"), h("ul", { class: "bars" }, ...items));
}
