import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startSeededWorker } from "../../scripts/lib/seeded-worker";
import { fact, fillByLabel, loanRequest, openView, view } from "./support/console-page";
import { hold } from "./support/hold";
import { useBrowserAndWorker } from "./support/suite";

/*
 * A loan officer's day in the console, in Debian's Chromium against a real local Worker with the
 * lender's workbooks (AS_OF_DATE 2025-06-15): what the console shows agrees with what the API
 * answers, and the view shows what its address names.
 */

const suite = useBrowserAndWorker(startSeededWorker);
const url = suite.url;

const rupees = (text: string) => Number(text.replace(/[₹,]/g, ""));

async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(url(path));
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

/** A new customer, registered through the API, aged 33, with a phone number no other test uses. */
async function registered(firstName: string, lastName: string, monthlyIncome: number) {
  const { customer_id } = await suite.created("/register", {
    first_name: firstName,
    last_name: lastName,
    age: 33,
    monthly_income: monthlyIncome,
    phone_number: 7_800_000_000 + Math.floor(Math.random() * 1_000_000),
  });
  return customer_id;
}

/** The officer typing another address (a link, back and forward), without reloading the page. */
async function followAddress(page: Page, hash: string): Promise<void> {
  await page.evaluate((next) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = next;
  }, hash);
}

/** A promise the test settles when it chooses: a response held back, as on a slow network. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Customer 68's loan 6701 opened, its instalment keyed and Pay pressed: the answer held. */
async function instalmentInFlight(page: Page) {
  const held = gate();
  await page.route("**/make-payment/**", async (route) => {
    await held.opened;
    await route.continue();
  });
  await page.goto(url("/#loan/6701"));
  const loan = view(page, "loan");
  const due = loan.locator("#payment-due");
  await due.getByText(/^Period \d+, due/).waitFor();
  const instalment = rupees(await fact(due, "Instalment due"));
  await fillByLabel(loan, { Amount: instalment });
  const paying = page.waitForRequest("**/make-payment/68/6701");
  await loan.getByRole("button", { name: "Pay" }).click();
  await paying;
  return { held, loan, due, instalment };
}

describe("the console over a working day", () => {
  it("calls a loan past its end date with instalments still owed open, not closed, as the API does", async () => {
    const { page } = suite.session();
    // Customer 2's loan 3957 ended on 2019-04-22 with 10 of its 84 instalments still unpaid.
    const [api] = (
      await apiGet<{ loan_id: number; status: string; is_current: boolean }[]>("/view-loans/2")
    ).filter((loan) => loan.loan_id === 3957);
    expect(api).toMatchObject({ status: "active", is_current: false });

    await page.goto(url("/"));
    const loans = await openView(page, "loans");
    await fillByLabel(loans, { "Customer ID": 2 });
    await loans.getByRole("button", { name: "Look up" }).click();
    const row = loans.locator("tbody tr", {
      has: page.getByRole("link", { name: "3957", exact: true }),
    });
    await row.waitFor();
    expect(await row.locator("td").nth(6).innerText()).toBe("10");
    expect(await row.locator("td").nth(7).innerText()).toBe("open, not current");

    await row.getByRole("link", { name: "3957", exact: true }).click();
    const loan = view(page, "loan");
    await loan.locator("#loan-result .verdict", { hasText: "Loan 3957" }).waitFor();
    expect(await fact(loan, "Period")).toBe("2012-04-22 to 2019-04-22 (open, not current)");
    expect(await fact(loan, "Status")).toBe("active");
  });

  it("shows the loan the address names when it changes while the previous loan is still loading", async () => {
    const { page } = suite.session();
    // Loan 1579's answer is held until loan 4420 has been asked for, as on a slow network.
    const held = gate();
    const requested = gate();
    await page.route("**/view-loan/1579", async (route) => {
      requested.open();
      await held.opened;
      await route.continue();
    });
    await page.goto(url("/#loan/1579"));
    await requested.opened;
    await followAddress(page, "#loan/4420");
    held.open();

    const loan = view(page, "loan");
    await loan.locator("#loan-result .verdict", { hasText: "Loan 4420" }).waitFor();
    await suite.session().settled();
    expect(await loan.locator("#loan-result .verdict").innerText()).toBe("Loan 4420");
    expect(await loan.getByLabel("Loan ID").inputValue()).toBe("4420");
  });

  it("keeps a payment's receipt off another loan opened while the payment was in flight", async () => {
    const { page } = suite.session();
    const { held, loan, due, instalment } = await instalmentInFlight(page);

    // The officer opens customer 68's other loan before the answer arrives.
    await followAddress(page, "#loan/4420");
    await loan.locator("#loan-result .verdict", { hasText: "Loan 4420" }).waitFor();
    await due.getByText(/^Period \d+, due/).waitFor();
    const answered = page.waitForResponse("**/make-payment/68/6701");
    held.open();
    expect((await answered).status()).toBe(201);
    await suite.session().settled();

    expect(await loan.locator("#payment-result").innerText()).toBe("");
    expect(await loan.locator("#loan-result .verdict").innerText()).toBe("Loan 4420");
    // The payment was taken on 6701, whose view shows it once opened again.
    const statement = await apiGet<{ payments: { source: string; amount: number }[] }>(
      "/view-statement/68/6701",
    );
    expect(statement.payments.filter((p) => p.source === "api").map((p) => p.amount)).toEqual([
      instalment,
    ]);
  });

  it("reads the loan's figures again after a refusal, which stale figures can cause", async () => {
    const { page } = suite.session();
    // Customer 5's first active loan with instalments to spare, opened by this officer.
    const [open] = (
      await apiGet<{ loan_id: number; status: string; repayments_left: number }[]>("/view-loans/5")
    ).filter((loan) => loan.status === "active" && loan.repayments_left > 2);
    if (!open) throw new Error("customer 5 has no active loan to pay");
    await page.goto(url(`/#loan/${open.loan_id}`));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText(/^Period \d+, due/).waitFor();
    const shown = await fact(due, "Next instalment");
    const period = Number(/^Period (\d+)/.exec(shown)?.[1]);

    // Another officer takes that instalment meanwhile.
    const paid = await fetch(url(`/make-payment/5/${open.loan_id}`), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ amount: rupees(await fact(due, "Instalment due")) }),
    });
    expect(paid.status).toBe(201);

    // This officer keys a paisa: refused (below the interest due), and the panel catches up.
    await fillByLabel(loan, { Amount: 0.01 });
    await loan.getByRole("button", { name: "Pay" }).click();
    await loan.locator("#payment-form .error", { hasText: /interest/i }).waitFor();
    // The tab's own 20 s wait: a loaded machine takes seconds for the two reads (loan, statement).
    await due.getByText(new RegExp(`^Period ${period + 1}, due`)).waitFor();
    expect(await loan.locator("#payment-form .error").first().innerText()).toMatch(/interest/i);
  });

  it("shows no loan, and no payment form, when the loan asked for next does not exist", async () => {
    const { page } = suite.session();
    await page.goto(url("/#loan/1579"));
    const loan = view(page, "loan");
    await loan.locator("#loan-result .verdict", { hasText: "Loan 1579" }).waitFor();
    await loan.locator("#payment-panel").waitFor();

    await followAddress(page, "#loan/99999");
    // The 404 names loan_id: its message stands under the field that holds the id asked for.
    await loan.locator("#loan-loan_id-error").getByText("Loan ID does not exist").waitFor();
    expect(await loan.getByLabel("Loan ID").inputValue()).toBe("99999");
    expect(await loan.getByLabel("Loan ID").getAttribute("aria-invalid")).toBe("true");
    expect(await loan.locator("#loan-result").innerText()).toBe("");
    expect(await loan.locator("#payment-panel").isHidden()).toBe(true);
  });

  it("marks both ids of a statement asked for a loan the customer does not have", async () => {
    const { page } = suite.session();
    await page.goto(url("/#statement/2/99999"));
    const statement = view(page, "statement");
    await statement
      .locator("#statement-loan_id-error")
      .getByText("Loan ID is not a loan of customer 2")
      .waitFor();
    expect(await statement.locator("#statement-customer_id-error").innerText()).toBe(
      "Customer ID has no loan 99999",
    );
    for (const label of ["Customer ID", "Loan ID"]) {
      expect(await statement.getByLabel(label).getAttribute("aria-invalid")).toBe("true");
    }
    // The fields say it all: the alert does not repeat it.
    expect(await statement.getByRole("alert").innerText()).toBe("");
    expect(await statement.locator("#statement-result").innerText()).toBe("");
  });

  it("decides again when Book is pressed after a refusal, rather than show the refusal kept under its key", async () => {
    const { page } = suite.session();
    // Earning 20,000, the customer owes an EMI of 8,884.88 on a loan booked elsewhere.
    const customerId = await registered("Tara", "Das", 20_000);
    const { loan_id: owed } = await suite.created("/create-loan", {
      customer_id: customerId,
      loan_amount: 100_000,
      interest_rate: 12,
      tenure: 12,
    });

    await page.goto(url("/"));
    const book = await openView(page, "book");
    await fillByLabel(book, loanRequest(customerId, 20_000, 12));
    await book.getByRole("button", { name: "Book" }).click();
    const verdict = book.locator("#book-result .verdict");
    await verdict.getByText("Not approved").waitFor();
    await book
      .getByText(/would exceed half the monthly salary/)
      .first()
      .waitFor();

    // The customer repays that loan; the officer presses Book again, the form as it was.
    const { next_installment } = await apiGet<{ next_installment: { payoff_amount: number } }>(
      `/view-statement/${customerId}/${owed}`,
    );
    await suite.created(`/make-payment/${customerId}/${owed}`, {
      amount: next_installment.payoff_amount,
    });
    await book.getByRole("button", { name: "Book" }).click();
    await verdict.getByText(/^Booked loan \d+$/).waitFor();
    expect(await book.locator("#book-result .replayed").count()).toBe(0);
    const loans = await apiGet<{ status: string }[]>(`/view-loans/${customerId}`);
    expect(loans.map((loan) => loan.status).sort()).toEqual(["active", "closed"]);
  });

  it("books nothing more when Book is pressed on the form Back brings back filled, after a booking", async () => {
    const { page } = suite.session();
    const customerId = await registered("Farah", "Khan", 80_000);
    await page.goto(url("/"));
    const book = await openView(page, "book");
    await fillByLabel(book, loanRequest(customerId, 60_000, 14, 12));
    await book.getByRole("button", { name: "Book" }).click();
    const verdict = book.locator("#book-result .verdict");
    const booked = (await verdict.getByText(/^Booked loan \d+$/).innerText()).replace(/\D/g, "");

    // The officer reads the API docs, then comes back. Chrome fills the form in again from the
    // history entry (the page no longer in its back-forward cache), without an input event.
    await page
      .getByRole("navigation", { name: "Views" })
      .getByRole("link", { name: "API docs" })
      .click();
    await page.waitForURL(/\/docs$/);
    await page.goBack();
    await book.waitFor({ state: "visible" });
    expect(await book.getByLabel("Loan amount").inputValue()).toBe("60000");
    await book.getByRole("button", { name: "Book" }).click();
    await verdict.getByText(`Booked loan ${booked}`, { exact: true }).waitFor();
    await book
      .getByText(/^Already sent: this is the first answer; nothing new was booked/)
      .waitFor();
    const loans = await apiGet<{ loan_id: number }[]>(`/view-loans/${customerId}`);
    expect(loans.map((loan) => loan.loan_id)).toEqual([Number(booked)]);

    // Changed after coming back, it is another request: a loan of its own.
    await fillByLabel(book, { "Loan amount": 40_000 });
    await book.getByRole("button", { name: "Book" }).click();
    await verdict
      .getByText(/^Booked loan \d+$/)
      .filter({ hasNotText: booked })
      .waitFor();
    expect(await apiGet<unknown[]>(`/view-loans/${customerId}`)).toHaveLength(2);
  });

  it("leaves no previous verdict under the error of a check that failed", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    const check = await openView(page, "check");
    await fillByLabel(check, loanRequest(80));
    await check.getByRole("button", { name: "Check" }).click();
    await check.locator("#check-result .verdict").waitFor();

    // Another customer, unknown: the API answers 404, so there is no verdict to show.
    await fillByLabel(check, { "Customer ID": 99_999 });
    await check.getByRole("button", { name: "Check" }).click();
    await check
      .locator("#check-customer_id-error")
      .getByText("Customer ID does not exist")
      .waitFor();
    expect(await check.getByLabel("Customer ID").getAttribute("aria-invalid")).toBe("true");
    expect(await check.locator("#check-result").innerText()).toBe("");
  });

  it("names in the address the loan typed into the form: Back from its statement, or a reload, shows that loan", async () => {
    const { page } = suite.session();
    // Customer 2's loans 1579 and 3957: the first opened by a link, the second typed in.
    await page.goto(url("/#loan/1579"));
    const loan = view(page, "loan");
    await loan.locator("#loan-result .verdict", { hasText: "Loan 1579" }).waitFor();
    await fillByLabel(loan, { "Loan ID": 3957 });
    await loan.getByLabel("Loan ID").press("Enter");
    await loan.locator("#loan-result .verdict", { hasText: "Loan 3957" }).waitFor();
    expect(page.url()).toMatch(/#loan\/3957$/);

    await loan.getByRole("link", { name: "Statement of loan 3957" }).click();
    await view(page, "statement")
      .locator("#statement-result")
      .getByText(/^Loan 3957 of customer \d+:/)
      .waitFor();
    await page.goBack();
    await loan.locator("#loan-result .verdict", { hasText: "Loan 3957" }).waitFor();
    await suite.session().settled();
    expect(await loan.locator("#loan-result .verdict").innerText()).toBe("Loan 3957");
    await page.reload();
    await loan.locator("#loan-result .verdict", { hasText: "Loan 3957" }).waitFor();
    // Back once more: the loan opened by the link, as the address said then.
    await page.goBack();
    await loan.locator("#loan-result .verdict", { hasText: "Loan 1579" }).waitFor();
  });

  it("looks up a loan typed and entered while the loan before it is still loading", async () => {
    const { page } = suite.session();
    // Loan 1579's statement, which its payment panel reads, held: the loan form is still busy.
    const held = await hold(page, "**/view-statement/*/1579", (route) => route.continue());
    await page.goto(url("/#loan/1579"));
    const loan = view(page, "loan");
    await held.reached;
    await fillByLabel(loan, { "Loan ID": 3957 });
    await loan.getByLabel("Loan ID").press("Enter");
    held.release();
    await loan.locator("#loan-result .verdict", { hasText: "Loan 3957" }).waitFor();
    await suite.session().settled();
    expect(await loan.locator("#loan-result .verdict").innerText()).toBe("Loan 3957");
    expect(page.url()).toMatch(/#loan\/3957$/);
  });

  it("keeps the statement's address when a payment made before opening it is answered after", async () => {
    const { page } = suite.session();
    const { held, loan } = await instalmentInFlight(page);

    await loan.getByRole("link", { name: "Statement of loan 6701" }).click();
    await view(page, "statement")
      .locator("#statement-result")
      .getByText(/^Loan 6701 of customer \d+:/)
      .waitFor();
    const answered = page.waitForResponse("**/make-payment/68/6701");
    held.open();
    expect((await answered).status()).toBe(201);
    await suite.session().settled();
    // The loan is read again behind the statement, which stays what the address names.
    expect(page.url()).toMatch(/#statement\/68\/6701$/);
  });

  it("keeps a customer's loans looked up in the form through a reload, and Back to them after a loan", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    const loans = await openView(page, "loans");
    await fillByLabel(loans, { "Customer ID": 2 });
    await loans.getByRole("button", { name: "Look up" }).click();
    const link = loans.getByRole("link", { name: "3957", exact: true });
    await link.waitFor();
    expect(page.url()).toMatch(/#loans\/2$/);

    await page.reload();
    await link.waitFor();
    expect(await loans.locator("caption").innerText()).toBe("Loans of customer 2");
    await link.click();
    await view(page, "loan").locator("#loan-result .verdict", { hasText: "Loan 3957" }).waitFor();
    await page.reload();
    await page.goBack();
    await link.waitFor();
  });
});
