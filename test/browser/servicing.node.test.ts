import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startSeededWorker } from "../../scripts/lib/seeded-worker";
import {
  fact,
  fillByLabel,
  focused,
  loanRequest,
  openView,
  registerInConsole,
  view,
} from "./support/console-page";
import { answerLost } from "./support/hold";
import { useBrowserAndWorker } from "./support/suite";

/*
 * Loan servicing in the console, in Debian's Chromium against a real local Worker with the
 * lender's workbooks in D1: payments taken on the loan view, and the statement with its ledger,
 * schedule and chart. AS_OF_DATE is pinned to 2025-06-15, so every payment is dated that day.
 */

const suite = useBrowserAndWorker(startSeededWorker);
const url = suite.url;

interface StatementJson {
  monthly_installment: number;
  status: string;
  payments: { source: string; period: number }[];
  schedule: { period: number; status: string; principal: number }[];
}

async function statementOf(customerId: number, loanId: number): Promise<StatementJson> {
  const response = await fetch(url(`/view-statement/${customerId}/${loanId}`));
  expect(response.status).toBe(200);
  return (await response.json()) as StatementJson;
}

/** Content-Security-Policy violations, which Chromium reports on the console, not as errors. */
function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

const rupees = (text: string) => Number(text.replace(/[₹,]/g, ""));

async function pay(loan: Locator, amount: number | string, click: "click" | "dblclick" = "click") {
  await fillByLabel(loan, { Amount: amount });
  await loan.getByRole("button", { name: "Pay" })[click]();
}

/** A new customer's new loan of 1,00,000 over 12 months, booked through the API. */
function newLoan(): Promise<{ customerId: number; loanId: number }> {
  return suite.customerWithLoan(
    { first_name: "Ravi", last_name: "Menon", age: 40, monthly_income: 60_000 },
    { loan_amount: 100_000, interest_rate: 12, tenure: 12 },
  );
}

/** Opens the loan's view; returns it and the instalment its payment panel says is due. */
async function openLoan(page: Page, loanId: number) {
  await page.goto(url(`/#loan/${loanId}`));
  const loan = view(page, "loan");
  const due = loan.locator("#payment-due");
  await due.getByText("Period 1, due 2025-07-15").waitFor();
  return { loan, due, instalment: rupees(await fact(due, "Instalment due")) };
}

const apiPeriods = async (customerId: number, loanId: number) =>
  (await statementOf(customerId, loanId)).payments
    .filter((payment) => payment.source === "api")
    .map((payment) => payment.period);

describe("loan servicing in the console", () => {
  it("refuses an amount below the interest, takes the instalment, more, then the payoff, and shows the closed loan's statement", async () => {
    const { page } = suite.session();
    const violations = cspViolations(page);
    await page.goto(url("/"));
    const register = await registerInConsole(page);
    const registered = register.locator("#register-result .verdict");
    await registered.waitFor();
    const customerId = Number(/Registered customer (\d+)/.exec(await registered.innerText())?.[1]);

    // A new customer scores 40: 1,00,000 at the band's 12 % over 12 months, EMI 8,884.88.
    const book = await openView(page, "book");
    await fillByLabel(book, loanRequest(customerId));
    await book.getByRole("button", { name: "Book" }).click();
    const booked = book.locator("#book-result .verdict");
    await booked.waitFor();
    const loanId = Number(/Booked loan (\d+)/.exec(await booked.innerText())?.[1]);
    await book.getByRole("link", { name: `View loan ${loanId}` }).click();

    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText("Period 1, due 2025-07-15").waitFor();
    expect(await fact(due, "Instalment due")).toBe("₹8,884.88");
    expect(await fact(due, "Interest due")).toBe("₹1,000.00");

    // Below the period's interest: refused, the reason and the amount next to the field.
    await pay(loan, 500);
    const amountError = loan.locator("#payment-amount-error");
    await amountError.getByText("below this period's interest of ₹1,000.00").waitFor();
    const amount = loan.getByLabel("Amount");
    expect(await amount.getAttribute("aria-invalid")).toBe("true");
    expect(await amount.getAttribute("aria-describedby")).toBe("payment-amount-error");
    expect(await focused(page).getAttribute("id")).toBe("payment-amount");
    expect((await statementOf(customerId, loanId)).payments).toEqual([]);

    // Exactly the instalment, double-clicked: one payment (one Idempotency-Key), EMI unchanged.
    await pay(loan, 8884.88, "dblclick");
    const receipt = loan.locator("#payment-result");
    await receipt.getByText("Paid ₹8,884.88").waitFor();
    expect(await amount.getAttribute("aria-invalid")).toBeNull();
    expect(await amountError.innerText()).toBe("");
    expect(await fact(receipt, "Period")).toBe("1 (due 2025-07-15)");
    expect(await fact(receipt, "Interest")).toBe("₹1,000.00");
    expect(await fact(receipt, "Principal")).toBe("₹7,884.88");
    expect(await fact(receipt, "Balance after")).toBe("₹92,115.12");
    expect(await fact(receipt, "On time")).toBe("yes");
    expect(await fact(receipt, "New EMI")).toBe("₹8,884.88 (unchanged)");
    expect(await fact(receipt, "Repayments left")).toBe("11");
    expect(await fact(receipt, "Status")).toBe("active");
    await suite.session().settled();
    expect((await statementOf(customerId, loanId)).payments).toHaveLength(1);

    // More than the instalment: the EMI is recalculated, lower, over the 10 periods left.
    await due.getByText("Period 2, due 2025-08-15").waitFor();
    await pay(loan, 10_000);
    await receipt.getByText("Paid ₹10,000.00").waitFor();
    expect(await fact(receipt, "Interest")).toBe("₹921.15");
    expect(await fact(receipt, "Principal")).toBe("₹9,078.85");
    expect(await fact(receipt, "Balance after")).toBe("₹83,036.27");
    const newEmi = await fact(receipt, "New EMI");
    expect(newEmi).toMatch(/^₹[\d,]+\.\d\d \(recalculated\)$/);
    const recalculated = rupees(newEmi.replace(/ \(.*$/, ""));
    expect(recalculated).toBeLessThan(8884.88);
    expect(recalculated).toBe((await statementOf(customerId, loanId)).monthly_installment);
    expect(await fact(receipt, "Repayments left")).toBe("10");
    // The loan's own facts are read again after each payment.
    await loan.locator("#loan-result dd", { hasText: newEmi.replace(/ \(.*$/, "") }).waitFor();

    // The payoff shown for period 3 closes the loan; the form gives way to a note.
    await due.getByText("Period 3, due 2025-09-15").waitFor();
    const payoff = await fact(due, "Payoff");
    await pay(loan, rupees(payoff));
    await receipt.getByText(`Paid ${payoff}: loan repaid in full`).waitFor();
    expect(await fact(receipt, "Status")).toBe("closed on 2025-06-15");
    expect(await fact(receipt, "Repayments left")).toBe("0");
    expect(await fact(receipt, "Next due")).toBe("—");
    await due.getByText("Repaid in full on 2025-06-15.").waitFor();
    await loan.locator("#payment-form").waitFor({ state: "hidden" });
    await loan.locator("#loan-result dd", { hasText: "closed on 2025-06-15" }).waitFor();

    await loan.getByRole("link", { name: `Statement of loan ${loanId}` }).click();
    expect(page.url()).toMatch(new RegExp(`#statement/${customerId}/${loanId}$`));
    const statement = view(page, "statement").locator("#statement-result");
    await statement
      .getByText(`Loan ${loanId} of customer ${customerId}: closed on 2025-06-15`)
      .waitFor();
    expect(await fact(statement, "Principal paid")).toBe("₹1,00,000.00");
    expect(await fact(statement, "Outstanding principal")).toBe("₹0.00");
    expect(await fact(statement, "Repayments left")).toBe("0");
    const payments = statement.getByRole("table", { name: "Payments" }).locator("tbody tr");
    expect(await payments.count()).toBe(3);
    expect(await payments.nth(2).locator("td").last().innerText()).toBe("api");
    const schedule = statement.getByRole("table", { name: "Schedule" }).locator("tbody tr");
    expect(await schedule.count()).toBe(3);
    for (let row = 0; row < 3; row++) {
      expect(await schedule.nth(row).locator("td").last().innerText()).toBe("paid");
    }

    // The chart: accessible, one bar per period, sized by principal, no projected balance left.
    const chart = statement.getByRole("img", {
      name: `Loan ${loanId}: outstanding balance, principal and interest per period`,
    });
    await chart.waitFor();
    expect(await chart.locator("desc").textContent()).toMatch(/over 3 periods, 3 of them paid/);
    const heights = await chart
      .locator("rect.principal")
      .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute("height"))));
    expect(heights).toHaveLength(3);
    expect(heights[0]).toBeGreaterThan(0);
    expect(heights[0]).toBeLessThan(heights[1] ?? 0);
    expect(heights[1]).toBeLessThan(heights[2] ?? 0);
    expect(await chart.locator("polyline.balance.paid").count()).toBe(1);
    expect(await chart.locator("polyline.balance.projected").count()).toBe(0);
    expect(violations).toEqual([]);
  });

  it("takes a second payment of the same amount as a new payment: the receipt empties the amount", async () => {
    const { page } = suite.session();
    const { customerId, loanId } = await newLoan();
    const { loan, due, instalment } = await openLoan(page, loanId);
    const receipt = loan.locator("#payment-result");

    // A customer paying two months' EMI, one after the other, at the same till.
    await pay(loan, instalment);
    await receipt.getByText("1 (due 2025-07-15)").waitFor();
    // Left as it was, the amount and its Idempotency-Key made the next press a replay.
    expect(await loan.getByLabel("Amount").inputValue()).toBe("");
    await due.getByText("Period 2, due 2025-08-15").waitFor();
    await pay(loan, instalment);
    await receipt.getByText("2 (due 2025-08-15)").waitFor();
    expect(await receipt.locator(".replayed").count()).toBe(0);
    expect(await fact(receipt, "Repayments left")).toBe("10");
    await suite.session().settled();
    expect(await apiPeriods(customerId, loanId)).toEqual([1, 2]);
  });

  it("pays nothing when Pay is pressed again right after a receipt: the empty amount's error instead", async () => {
    const { page } = suite.session();
    const { customerId, loanId } = await newLoan();
    const { loan, due, instalment } = await openLoan(page, loanId);
    await pay(loan, instalment);
    await loan.locator("#payment-result").getByText("1 (due 2025-07-15)").waitFor();
    await due.getByText("Period 2, due 2025-08-15").waitFor();

    await loan.getByRole("button", { name: "Pay" }).click();
    await loan.locator("#payment-amount-error").getByText("Amount must be a number").waitFor();
    const amount = loan.getByLabel("Amount");
    expect(await amount.getAttribute("aria-invalid")).toBe("true");
    expect(await focused(page).getAttribute("id")).toBe("payment-amount");
    expect(await loan.locator("#payment-result .replayed").count()).toBe(0);
    await suite.session().settled();
    expect(await apiPeriods(customerId, loanId)).toEqual([1]);
  });

  it("retries a payment whose answer was lost with the same key: recorded once, shown as already sent", async () => {
    const { page } = suite.session();
    const { customerId, loanId } = await newLoan();
    const { loan, instalment } = await openLoan(page, loanId);
    const keys: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/make-payment/")) keys.push(request.headers()["idempotency-key"]);
    });
    const formError = loan.locator("#payment-form-error");
    const amount = loan.getByLabel("Amount");

    // The payment reaches the API and is recorded, but its answer is lost on the way back.
    await answerLost(page, "**/make-payment/**");
    await pay(loan, instalment);
    await formError.getByText(/^The request failed/).waitFor();
    expect(await amount.inputValue()).toBe(String(instalment));

    // Retried as it stands: a proxy in the way answers 502 with a page of its own.
    await page.route(
      "**/make-payment/**",
      async (route) => {
        await route.fetch();
        await route.fulfill({
          status: 502,
          contentType: "text/html",
          body: "<h1>Bad gateway</h1>",
        });
      },
      { times: 1 },
    );
    await loan.getByRole("button", { name: "Pay" }).click();
    await formError
      .getByText(/^The server answered 502 Bad Gateway without the API.s explanation/)
      .waitFor();
    expect(await amount.inputValue()).toBe(String(instalment));

    // Retried once more, and answered: the first payment's receipt, nothing new paid.
    await loan.getByRole("button", { name: "Pay" }).click();
    const replayed = loan.locator("#payment-result .replayed");
    await replayed.waitFor();
    expect(await replayed.innerText()).toBe(
      "Already sent: this is the first answer; nothing new was paid. To take another payment, enter its amount.",
    );
    expect(await fact(loan.locator("#payment-result"), "Period")).toBe("1 (due 2025-07-15)");
    expect(await formError.innerText()).toBe("");
    expect(await amount.inputValue()).toBe("");
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    await suite.session().settled();
    expect(await apiPeriods(customerId, loanId)).toEqual([1]);
  });

  it("says a loan gone since it was shown (a database restored) in words, not the API's field names", async () => {
    const { page } = suite.session();
    const { customerId, loanId } = await newLoan();
    const { loan, instalment } = await openLoan(page, loanId);
    // The API's own 404 for a loan this customer does not have: the payment goes to loan 99999999.
    await page.route(
      "**/make-payment/**",
      (route) => route.continue({ url: url(`/make-payment/${customerId}/99999999`) }),
      { times: 1 },
    );
    await pay(loan, instalment);
    const formError = loan.locator("#payment-form-error");
    await formError.filter({ hasText: /\S/ }).waitFor();
    // The form has no field for either id: its alert says the API's sentence, with no customer_id.
    expect(await formError.innerText()).toBe(`Customer ${customerId} has no loan 99999999.`);
    expect(await loan.locator("#payment-amount-error").innerText()).toBe("");
    expect(await loan.getByLabel("Amount").inputValue()).toBe(String(instalment));
  });

  it("shows a workbook loan's statement from the customer's loans: workbook periods, statuses, the projected balance dashed", async () => {
    const { page } = suite.session();
    const violations = cspViolations(page);
    const found = await workbookLoanPartlyPaid();
    await page.goto(url("/"));
    const loans = await openView(page, "loans");
    await fillByLabel(loans, { "Customer ID": found.customerId });
    await loans.getByRole("button", { name: "Look up" }).click();
    await loans.getByRole("link", { name: `Statement of loan ${found.loanId}` }).click();
    expect(page.url()).toMatch(new RegExp(`#statement/${found.customerId}/${found.loanId}$`));

    const api = await statementOf(found.customerId, found.loanId);
    const statement = view(page, "statement").locator("#statement-result");
    await statement.locator(".verdict").waitFor();
    expect(await fact(statement, "Schedule")).toMatch(/^reconstructed/);
    const payments = statement.getByRole("table", { name: "Payments" }).locator("tbody tr");
    expect(await payments.count()).toBe(api.payments.length);
    expect(await statement.locator("tr[data-source=workbook]").count()).toBe(api.payments.length);
    const statuses = await statement
      .getByRole("table", { name: "Schedule" })
      .locator("tbody tr td:last-child")
      .allInnerTexts();
    expect(statuses).toEqual(api.schedule.map((row) => row.status));

    const chart = statement.getByRole("img", { name: new RegExp(`^Loan ${found.loanId}:`) });
    expect(await chart.locator("g.period").count()).toBe(api.schedule.length);
    expect(await chart.locator("g.period.paid").count()).toBe(api.payments.length);
    const projected = chart.locator("polyline.balance.projected");
    // Dashed by console.css: the stylesheet applies under the page's Content-Security-Policy.
    const dashes = await projected.evaluate((line) => {
      // These tests compile without the DOM library: the one browser global used, typed here.
      const browser = globalThis as unknown as {
        getComputedStyle(element: unknown): { strokeDasharray: string };
      };
      return browser.getComputedStyle(line).strokeDasharray;
    });
    expect(dashes).toMatch(/^6/);
    expect(violations).toEqual([]);
  });

  it("does not say a loan the workbook records as repaid was repaid on a date to come", async () => {
    // Loan 6063 (customer 198) counts all 132 EMIs paid: repaid, and closed on its last due date,
    // 2032-05-14, years after the as-of date (docs/servicing.md#a-current-loan).
    const { page } = suite.session();
    await page.goto(url("/#loan/6063"));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    const repaid = "Repaid in full (last instalment due 2032-05-14).";
    await due.getByText(repaid).waitFor();
    expect(await due.innerText()).toBe(repaid);
    expect(await fact(loan.locator("#loan-result"), "Status")).toBe(
      "repaid in full (last instalment due 2032-05-14)",
    );

    await page.goto(url("/#statement/198/6063"));
    const statement = view(page, "statement").locator("#statement-result");
    // Worded as the loan view words it: the two once decided by different rules.
    await statement
      .getByText("Loan 6063 of customer 198: repaid in full (last instalment due 2032-05-14)")
      .waitFor();
    expect(await statement.innerText()).not.toContain("closed on 2032-05-14");
  });
});

/** A current workbook loan with some periods but not all counted as paid. */
async function workbookLoanPartlyPaid(): Promise<{ customerId: number; loanId: number }> {
  for (let customerId = 1; customerId <= 50; customerId++) {
    const response = await fetch(url(`/view-loans/${customerId}`));
    if (response.status !== 200) continue;
    const loans = (await response.json()) as {
      loan_id: number;
      status: string;
      emis_paid_on_time: number;
      tenure: number;
    }[];
    const loan = loans.find(
      (l) => l.status === "active" && l.emis_paid_on_time > 0 && l.emis_paid_on_time < l.tenure,
    );
    if (loan) return { customerId, loanId: loan.loan_id };
  }
  throw new Error("no partly paid workbook loan among the first 50 customers");
}
