/*
 * The console as a loan officer sees it: views reached through the navigation, fields found by
 * their labels, results read from the page. Only what the tests repeat lives here.
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

/** The text of a fact (<dt>term</dt><dd>value</dd>) in a result. */
export async function fact(result: Locator, term: string): Promise<string> {
  const value = result.locator("dt", { hasText: term }).locator("xpath=following-sibling::dd[1]");
  return (await value.innerText()).trim();
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

/** The element that has the keyboard focus. */
export function focused(page: Page): Locator {
  return page.locator(":focus");
}

/** The few browser globals read below: these tests compile without the DOM library. */
interface PageGlobals {
  sessionStorage: { getItem(key: string): string | null };
  localStorage: { length: number };
  document: { cookie: string };
}

/** Where the console keeps the API key: this tab's session storage, and nowhere else. */
export function storedKey(page: Page) {
  return page.evaluate(() => {
    const browser = globalThis as unknown as PageGlobals;
    return {
      session: browser.sessionStorage.getItem("credit-console-api-key"),
      local: browser.localStorage.length,
      cookie: browser.document.cookie,
    };
  });
}
