import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { fact, fillByLabel, openView } from "./support/console-page";
import { startNodeServer } from "./support/node-server";
import { useBrowserAndWorker } from "./support/suite";

/*
 * The console for a loan officer on the keyboard alone, or with a screen reader, in Chromium over
 * the Node server: what is said after Enter in a field, where the focus is once a view changes
 * under it, and the headings a screen reader lists (read from Chromium's accessibility tree).
 */

const suite = useBrowserAndWorker(startNodeServer);

/** A new customer's loan of 1,00,000 over 12 months at 12 %, through the API. */
const newLoan = () =>
  suite.customerWithLoan(
    { first_name: "Meera", last_name: "Iyer", age: 36, monthly_income: 60_000 },
    { loan_amount: 100_000, interest_rate: 12, tenure: 12 },
  );

/**
 * From now on, what a screen reader is given: each element that takes the focus (it says its
 * name and description) and each text a live region is given. Returns a reader of both.
 */
async function listen(page: Page): Promise<() => Promise<{ focused: string[]; said: string[] }>> {
  await page.evaluate(() => {
    // These tests compile without the DOM library: the few browser globals used, typed here.
    interface PageElement {
      id: string;
      textContent: string;
    }
    const browser = globalThis as unknown as {
      document: {
        addEventListener(
          type: string,
          listener: (event: { target: PageElement }) => void,
          capture: boolean,
        ): void;
        querySelectorAll(selector: string): ArrayLike<PageElement>;
      };
      MutationObserver: new (
        callback: () => void,
      ) => { observe(node: unknown, options: Record<string, boolean>): void };
      heard: { focused: string[]; said: string[] };
    };
    const heard = { focused: [] as string[], said: [] as string[] };
    browser.heard = heard;
    browser.document.addEventListener(
      "focusin",
      (event) => heard.focused.push(event.target.id),
      true,
    );
    for (const region of Array.from(
      browser.document.querySelectorAll("[role=status], [role=alert], [aria-live]"),
    )) {
      new browser.MutationObserver(() => {
        if (region.textContent !== "") heard.said.push(region.textContent);
      }).observe(region, { childList: true, characterData: true, subtree: true });
    }
  });
  return () =>
    page.evaluate(
      () => (globalThis as unknown as { heard: { focused: string[]; said: string[] } }).heard,
    );
}

interface AXNode {
  ignored: boolean;
  role?: { value: string };
  name?: { value: string };
  properties?: { name: string; value: { value: unknown } }[];
}

/** The headings Chromium gives a screen reader, in document order: "3 Score breakdown". */
async function headings(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as { nodes: AXNode[] };
  await cdp.detach();
  return nodes
    .filter((node) => !node.ignored && node.role?.value === "heading")
    .map((node) => {
      const level = node.properties?.find((property) => property.name === "level")?.value.value;
      return `${level} ${node.name?.value ?? ""}`;
    });
}

/** The element with the focus: its id, or its tag name; "body" when the focus is lost. */
const focusedElement = (page: Page) =>
  page.evaluate(() => {
    const { activeElement } = (
      globalThis as unknown as {
        document: { activeElement: { id: string; tagName: string } | null };
      }
    ).document;
    return activeElement?.id || activeElement?.tagName.toLowerCase() || "body";
  });

describe("the console on the keyboard and with a screen reader", () => {
  it("says a payment's refusal when Enter was pressed in Amount, where the focus already is", async () => {
    const { page } = suite.session();
    const { loanId } = await newLoan();
    await page.goto(suite.url(`/#loan/${loanId}`));
    const loan = page.locator("#view-loan");
    await loan.locator("#payment-due").getByText("Period 1").waitFor();
    const amount = loan.getByLabel("Amount");
    await amount.fill("1");
    const heard = await listen(page);
    await amount.press("Enter");
    const message = loan.locator("#payment-amount-error");
    await message.getByText(/^Amount is below this period's interest/).waitFor();
    await page.locator("#payment-form:not([aria-busy])").waitFor();
    const { focused, said } = await heard();
    // The focus did not move (it was there): the refusal must be said by a live region.
    expect(focused).toEqual([]);
    expect(said).toContain(await message.innerText());
  });

  it("says a lookup's field error when Enter was pressed in that field", async () => {
    const { page } = suite.session();
    await page.goto(suite.url("/"));
    const loans = await openView(page, "loan");
    const field = loans.getByLabel("Loan ID");
    await field.fill("999999999");
    const heard = await listen(page);
    await field.press("Enter");
    const message = loans.locator("#loan-loan_id-error");
    await message.getByText(/^Loan ID /).waitFor();
    await page.locator("#loan-form:not([aria-busy])").waitFor();
    const { said } = await heard();
    expect(said).toContain(await message.innerText());
  });

  it("still moves the focus to a field in error from the button, and says it only there", async () => {
    const { page } = suite.session();
    await page.goto(suite.url("/"));
    const check = await openView(page, "check");
    await fillByLabel(check, {
      "Customer ID": 1,
      "Loan amount": "fifty",
      "Interest rate": 12,
      Tenure: 12,
    });
    const heard = await listen(page);
    await check.getByRole("button", { name: "Check", exact: true }).press("Enter");
    await check
      .locator("#check-loan_amount-error")
      .getByText("Loan amount must be a number")
      .waitFor();
    await page.locator("#check-form:not([aria-busy])").waitFor();
    const { focused, said } = await heard();
    expect(focused.at(-1)).toBe("check-loan_amount");
    // Its label and message are said as it takes the focus: not a second time by the status.
    expect(said).toEqual(["Checking…"]);
  });

  it("keeps the focus on the page when the payoff closes the loan and its payment form goes", async () => {
    const { page } = suite.session();
    const { loanId } = await newLoan();
    await page.goto(suite.url(`/#loan/${loanId}`));
    const loan = page.locator("#view-loan");
    const due = loan.locator("#payment-due");
    await due.getByText("Period 1").waitFor();
    const payoff = (await fact(due, "Payoff")).replace(/[₹,]/g, "");
    await fillByLabel(loan, { Amount: payoff });
    await loan.getByRole("button", { name: "Pay" }).press("Enter");
    const closed = due.getByText(/^Repaid in full on /);
    await closed.waitFor();
    await page.locator("#loan-form:not([aria-busy])").waitFor();
    // The Pay button had it, and went with the form: Tab started again at the top of the page.
    expect(await focusedElement(page)).not.toBe("body");
    expect(await closed.evaluate((note) => note.matches(":focus"))).toBe(true);
  });

  it("nests a decision's score breakdown and reasons under its own heading", async () => {
    const { page } = suite.session();
    const { customerId } = await newLoan();
    // A refusal too, so the card has its principal reasons.
    await fetch(suite.url("/create-loan"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        customer_id: customerId,
        loan_amount: 9_000_000,
        interest_rate: 12,
        tenure: 12,
      }),
    });
    await page.goto(suite.url(`/#decisions/${customerId}`));
    await page.locator("#decisions-result article.decision").nth(1).waitFor();
    const outline = await headings(page);
    const cards = outline.filter((heading) => /^\d (Approved|Refused) on /.test(heading));
    expect(cards).toHaveLength(2);
    for (const card of cards) {
      const start = outline.indexOf(card);
      const level = Number(card[0]);
      const next = outline.findIndex((heading, i) => i > start && Number(heading[0]) <= level);
      const inside = outline.slice(start + 1, next === -1 ? undefined : next);
      expect(inside, `under "${card}"`).toContain(`${level + 1} Score breakdown`);
    }
    expect(outline.some((heading) => heading.endsWith("Principal reasons"))).toBe(true);
  });
});
