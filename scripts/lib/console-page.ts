/*
 * The console as a loan officer sees it, for the browser tests and the screenshot tool: views
 * reached through the navigation, fields found by their labels.
 */
import type { Locator, Page } from "playwright-core";

export type View = "register" | "loans" | "check" | "book" | "loan" | "decisions" | "statement";

const NAV: Record<View, string> = {
  register: "Register",
  loans: "Customer loans",
  check: "Check eligibility",
  book: "Book a loan",
  loan: "View a loan",
  decisions: "Decision history",
  statement: "Loan statement",
};

export function view(page: Page, name: View): Locator {
  return page.locator(`#view-${name}`);
}

/** Opens a view from the navigation, as a click would. */
export async function openView(page: Page, name: View): Promise<Locator> {
  await page
    .getByRole("navigation", { name: "Views" })
    .getByRole("link", { name: NAV[name], exact: true })
    .click();
  const section = view(page, name);
  await section.waitFor({ state: "visible" });
  return section;
}

/** Fills fields by their visible labels: { "Customer ID": 301, "Tenure": 12 }. */
export async function fillByLabel(
  section: Locator,
  values: Record<string, string | number>,
): Promise<void> {
  for (const [label, value] of Object.entries(values)) {
    await section.getByLabel(label).fill(String(value));
  }
}

export const loanRequest = (
  customerId: number | string,
  amount = 100_000,
  rate = 10,
  tenure = 12,
) => ({
  "Customer ID": customerId,
  "Loan amount": amount,
  "Interest rate": rate,
  Tenure: tenure,
});
