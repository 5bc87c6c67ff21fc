/*
 * What only the browser tests read from the console: facts of a result, the focus and where the
 * API key is kept. Navigation and form filling are shared with the screenshot tool.
 */
import type { Locator, Page } from "playwright-core";

import { fillByLabel, openView } from "../../../scripts/lib/console-page";

export {
  fillByLabel,
  loanRequest,
  openView,
  type View,
  view,
} from "../../../scripts/lib/console-page";

/**
 * Registers a customer through the console's form, with a phone number no other test uses (the
 * browser tests share a Worker's database); returns the form, whose result the test reads.
 */
export async function registerInConsole(page: Page): Promise<Locator> {
  const form = await openView(page, "register");
  await fillByLabel(form, {
    "First name": "Kavya",
    "Last name": "Rao",
    Age: 29,
    "Monthly income": 45_000,
    "Phone number": 7_500_000_000 + Math.floor(Math.random() * 2_000_000),
  });
  await form.getByRole("button", { name: "Register" }).click();
  return form;
}

/** The text of a fact (<dt>term</dt><dd>value</dd>) in a result. */
export async function fact(result: Locator, term: string): Promise<string> {
  const value = result.locator("dt", { hasText: term }).locator("xpath=following-sibling::dd[1]");
  return (await value.innerText()).trim();
}

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

/** The D1 bookmark the console keeps for its tab (null before its first answer that has one). */
export function storedBookmark(page: Page) {
  return page.evaluate(() =>
    (globalThis as unknown as PageGlobals).sessionStorage.getItem("credit-console-d1-bookmark"),
  );
}
