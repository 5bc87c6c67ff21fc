import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startSeededWorker } from "../../scripts/lib/seeded-worker";
import {
  fact,
  fillByLabel,
  loanRequest,
  openView,
  registerInConsole,
  view,
} from "./support/console-page";
import { useBrowserAndWorker } from "./support/suite";

/*
 * What a screen reader hears from the console, in Chromium against a local Worker with the
 * lender's workbooks: each answer said once, in a short sentence, by its form's status; the
 * result itself (a statement's 174-row schedule) outside any live region. Also which monthly
 * instalment is which, for a loan from the lender's workbook.
 */

const suite = useBrowserAndWorker(startSeededWorker);
const url = suite.url;

const LIVE = "[aria-live], [role=status], [role=alert], [role=log]";

interface LoanJson {
  customer: { id: number };
  monthly_installment: number;
}

async function loanOf(loanId: number): Promise<LoanJson> {
  const response = await fetch(url(`/view-loan/${loanId}`));
  expect(response.status).toBe(200);
  return (await response.json()) as LoanJson;
}

/** Every live region of the page: its role or aria-live, and its id or the id of what it follows. */
function liveRegions(page: Page) {
  return page.evaluate((selector) => {
    const browser = globalThis as unknown as {
      document: { querySelectorAll(selector: string): ArrayLike<PageElement> };
    };
    interface PageElement {
      id: string;
      previousElementSibling: PageElement | null;
      getAttribute(name: string): string | null;
    }
    return Array.from(browser.document.querySelectorAll(selector), (element) => ({
      live: element.getAttribute("role") ?? `aria-live=${element.getAttribute("aria-live")}`,
      at: element.id || `after #${element.previousElementSibling?.id}`,
    }));
  }, LIVE);
}

/** Where the figure in a table cell (its first text) ends on the screen, in CSS pixels. */
function digitsRightEdge(cell: Locator) {
  return cell.evaluate((element) => {
    // These tests compile without the DOM library: the browser globals used, typed here.
    interface PageRange {
      selectNodeContents(node: unknown): void;
      getBoundingClientRect(): { right: number };
    }
    const browser = globalThis as unknown as { document: { createRange(): PageRange } };
    const range = browser.document.createRange();
    range.selectNodeContents((element as unknown as { firstChild: unknown }).firstChild);
    return range.getBoundingClientRect().right;
  });
}

/** Whether the element (a result) is in, or is, a live region. */
function isLive(page: Page, selector: string) {
  return page
    .locator(selector)
    .evaluate(
      (element, live) =>
        (element as unknown as { closest(s: string): unknown }).closest(live) !== null,
      LIVE,
    );
}

/**
 * Records every text any live region in `scope` is given from now on (not its clearing): what a
 * screen reader would say. Returns a reader of what was said.
 */
async function recordSaid(page: Page, scope: string) {
  await page.evaluate(
    ({ scope, live }) => {
      // A text node changed has no closest(): its parent element has.
      interface PageNode {
        textContent: string;
        parentElement: PageNode | null;
        closest?(selector: string): PageNode | null;
      }
      const browser = globalThis as unknown as {
        document: { querySelector(selector: string): PageNode };
        MutationObserver: new (
          callback: (records: { target: PageNode }[]) => void,
        ) => { observe(node: unknown, options: Record<string, boolean>): void };
        said: string[];
      };
      browser.said = [];
      new browser.MutationObserver((records) => {
        const regions = new Set<PageNode>();
        for (const { target } of records) {
          const element = target.closest ? target : target.parentElement;
          const region = element?.closest?.(live);
          if (region) regions.add(region);
        }
        for (const region of regions) browser.said.push(region.textContent.trim());
      }).observe(browser.document.querySelector(scope), {
        childList: true,
        characterData: true,
        subtree: true,
      });
    },
    { scope, live: LIVE },
  );
  return () =>
    page.evaluate(() =>
      (globalThis as unknown as { said: string[] }).said.filter((text) => text !== ""),
    );
}

/** A new customer's new loan of 1,00,000 at 12 % over 12 months, open on the loan's view. */
async function openNewLoan(page: Page) {
  const { loanId } = await suite.customerWithLoan(
    { first_name: "Meera", last_name: "Iyer", age: 35, monthly_income: 60_000 },
    { loan_amount: 100_000, interest_rate: 12, tenure: 12 },
  );
  await page.goto(url(`/#loan/${loanId}`));
  const loan = view(page, "loan");
  const due = loan.locator("#payment-due");
  await due.getByText("Period 1, due 2025-07-15").waitFor();
  return { loanId, loan, due };
}

/** What the form's status says now. */
const statusOf = (page: Page, formId: string) =>
  page.locator(`#${formId} + [role=status]`).innerText();

describe("what a screen reader hears", () => {
  it("has no result in a live region: one status per form, and the errors' alerts", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    await view(page, "register").waitFor();
    const forms = [
      "register",
      "loans",
      "check",
      "book",
      "loan",
      "payment",
      "decisions",
      "statement",
    ];
    expect(await liveRegions(page)).toEqual([
      { live: "status", at: "api-key-status" },
      // Says why a key was not taken when Enter in its field leaves the focus there.
      { live: "status", at: "after #api-key-form" },
      ...forms.flatMap((form) => [
        { live: "alert", at: `${form}-form-error` },
        { live: "status", at: `after #${form}-form` },
        // "Older decisions" says it is loading outside its list, which is busy meanwhile.
        ...(form === "decisions" ? [{ live: "status", at: "after #decisions-result" }] : []),
      ]),
    ]);
    for (const result of [...forms.map((form) => `#${form}-result`), "#payment-due"]) {
      expect(await isLive(page, result), result).toBe(false);
    }
  });

  it("says a statement in one sentence, with the day it is true of, not its 174-row schedule", async () => {
    const { page } = suite.session();
    const loan = await loanOf(5543);
    await page.goto(url("/#register"));
    const said = await recordSaid(page, "#view-statement");
    await page.goto(url(`/#statement/${loan.customer.id}/5543`));
    const schedule = page.getByRole("table", { name: "Schedule" }).locator("tbody tr");
    await schedule.first().waitFor();
    expect(await schedule.count()).toBe(174);
    // Its statuses (overdue, due) hold on that day only: said in the words the page shows it in.
    const sentence = "Statement of loan 5543 as of 2025-06-15: 174 instalments, 92 paid";
    expect(await statusOf(page, "statement-form")).toBe(sentence);
    expect(await said()).toEqual(["Loading…", sentence]);
    expect(await isLive(page, "#statement-result [role=region][aria-label=Schedule]")).toBe(false);
  });

  it("says a payment once: not the receipt, the loan and the figures due read again", async () => {
    const { page } = suite.session();
    const { loanId, loan, due } = await openNewLoan(page);
    expect(await statusOf(page, "loan-form")).toMatch(
      new RegExp(`^Loan ${loanId} of customer \\d+: active, 12 repayments left$`),
    );
    const said = await recordSaid(page, "#view-loan");

    await fillByLabel(loan, { Amount: 8884.88 });
    await loan.getByRole("button", { name: "Pay" }).click();
    await loan.locator("#payment-result").getByText("Paid ₹8,884.88").waitFor();
    // The loan is read again after the payment, quietly: its new figures are on the page.
    await due.getByText("Period 2, due 2025-08-15").waitFor();
    await loan.locator("#loan-result dd", { hasText: "11 left" }).waitFor();
    await suite.session().settled();
    const sentence = "Payment of ₹8,884.88 recorded; ₹92,115.12 outstanding";
    expect(await said()).toEqual(["Paying…", sentence]);
    expect(await statusOf(page, "payment-form")).toBe(sentence);
  });

  it("says each view's answer in a sentence in its form's status", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    const register = await registerInConsole(page);
    const registered = register.locator("#register-result .verdict");
    await registered.waitFor();
    const customerId = Number(/Registered customer (\d+)/.exec(await registered.innerText())?.[1]);
    expect(await statusOf(page, "register-form")).toBe(`Registered customer ${customerId}`);

    const check = await openView(page, "check");
    await fillByLabel(check, loanRequest(customerId));
    await check.getByRole("button", { name: "Check" }).click();
    await check.locator("#check-result .verdict").waitFor();
    expect(await statusOf(page, "check-form")).toBe(
      `Customer ${customerId}: eligible, credit score 40, at 12.00 %`,
    );

    const book = await openView(page, "book");
    await fillByLabel(book, loanRequest(customerId));
    await book.getByRole("button", { name: "Book" }).click();
    const booked = book.locator("#book-result .verdict");
    await booked.waitFor();
    const loanId = Number(/Booked loan (\d+)/.exec(await booked.innerText())?.[1]);
    expect(await statusOf(page, "book-form")).toBe(`Booked loan ${loanId}`);

    await page.goto(url(`/#loans/${customerId}`));
    await view(page, "loans").locator("#loans-result table").waitFor();
    expect(await statusOf(page, "loans-form")).toBe(`Customer ${customerId} has 1 loan`);

    await page.goto(url(`/#decisions/${customerId}`));
    await view(page, "decisions").locator("#decisions-result article").waitFor();
    expect(await statusOf(page, "decisions-form")).toBe(`Customer ${customerId}: 1 decision`);
  });
});

describe("a workbook loan's monthly instalment", () => {
  it("says the loan's figure is the one recorded in the lender's workbook, and the schedule's is due", async () => {
    const { page } = suite.session();
    const { customer } = await loanOf(9971);
    await page.goto(url("/#loan/9971"));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText(/^Period \d+, due/).waitFor();
    const recorded = "Monthly instalment (recorded in the lender's workbook)";
    const result = loan.locator("#loan-result");
    await result.locator("dt", { hasText: recorded }).waitFor();
    expect(await fact(result, recorded)).toBe("₹2,842.00");
    expect(await fact(due, "Instalment due")).toBe("₹1,413.86");
    expect(await due.locator("p.note").innerText()).toBe(
      "The schedule asks ₹1,413.86 this period; ₹2,842.00 is the monthly payment recorded in the lender's workbook, shown until the loan's first payment here.",
    );

    await page.goto(url(`/#statement/${customer.id}/9971`));
    const statement = view(page, "statement").locator("#statement-result");
    await statement.locator("dt", { hasText: recorded }).waitFor();
    expect(await fact(statement, recorded)).toBe("₹2,842.00");
  });

  it("marks a workbook loan's figure in the customer's loans, in words a screen reader says too", async () => {
    const { page } = suite.session();
    // view-loans says which figure each loan shows: the list reads no statement (a customer can
    // hold 5,000 loans).
    const statementsRead: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.includes("/view-statement/")) {
        statementsRead.push(request.url());
      }
    });
    await page.goto(url("/#loans/68"));
    const loans = view(page, "loans");
    const emi = (loanId: number) =>
      loans
        .locator("tbody tr", { has: page.getByRole("link", { name: String(loanId), exact: true }) })
        .locator("td")
        .nth(3);
    const recorded = "(recorded in the lender's workbook)";
    await emi(6701).waitFor();
    // What a screen reader reads in the cell: the figure and where it is from, the marker aside.
    expect(await emi(6701).ariaSnapshot()).toBe(`- cell "₹15,631.00 ${recorded}"`);
    expect(await emi(4420).ariaSnapshot()).toBe(`- cell "₹23,636.00 ${recorded}"`);
    // What the eye reads: a marker on the figure, said under the table.
    expect(await emi(6701).locator("[aria-hidden=true]").innerText()).toBe("*");
    expect(await loans.locator("#loans-result p.note").innerText()).toBe(
      "* Monthly instalment (recorded in the lender's workbook), shown until the loan's first payment here: the loan's view has the instalment due, which may differ.",
    );

    // Paid once through the API, loan 4420's figure is the schedule's: no longer marked.
    const { next_installment } = (await (await fetch(url("/view-statement/68/4420"))).json()) as {
      next_installment: { amount_due: number };
    };
    const paid = await fetch(url("/make-payment/68/4420"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ amount: next_installment.amount_due }),
    });
    expect(paid.status).toBe(201);
    await page.reload();
    await emi(4420).waitFor();
    expect(await emi(4420).ariaSnapshot()).toMatch(/^- cell "₹[\d,.]+"$/);
    expect(await emi(4420).locator("[aria-hidden=true]").count()).toBe(0);
    expect(await emi(6701).ariaSnapshot()).toBe(`- cell "₹15,631.00 ${recorded}"`);
    expect(statementsRead).toEqual([]);

    // The marker takes no width in the right-aligned column: a marked and an unmarked figure
    // line up to the digit.
    expect(await digitsRightEdge(emi(6701))).toBe(await digitsRightEdge(emi(4420)));
  });

  it("marks no figure in the loans of a customer whose loans were booked here", async () => {
    const { page } = suite.session();
    const { customerId } = await suite.customerWithLoan(
      { first_name: "Meera", last_name: "Iyer", age: 35, monthly_income: 60_000 },
      { loan_amount: 100_000, interest_rate: 12, tenure: 12 },
    );
    await page.goto(url(`/#loans/${customerId}`));
    const loans = view(page, "loans");
    const emi = loans.locator("tbody tr td").nth(3);
    await emi.waitFor();
    expect(await emi.ariaSnapshot()).toBe('- cell "₹8,884.88"');
    expect(await loans.locator("#loans-result p.note").count()).toBe(0);
  });

  it("keeps the plain label for a booked loan, whose instalment is the schedule's", async () => {
    const { page } = suite.session();
    const { loan, due } = await openNewLoan(page);
    const terms = await loan.locator("#loan-result dt").allInnerTexts();
    expect(terms).toContain("Monthly instalment");
    expect(await due.locator("p.note").count()).toBe(0);
  });
});
