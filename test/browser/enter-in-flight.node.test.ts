import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { fact, fillByLabel, loanRequest, type View, view } from "./support/console-page";
import { hold } from "./support/hold";
import { startNodeServer } from "./support/node-server";
import { recordTexts } from "./support/record-texts";
import { useBrowserAndWorker } from "./support/suite";

/*
 * Enter pressed in a form while its request is in flight, in Chromium against the Node server.
 * Chromium drops a form's implicit submission while its button is disabled: a check or a lookup
 * records nothing, so it is queued and the newest is the one shown and said; a registration,
 * booking or payment queued would be a second write, so those still ignore it.
 */

const suite = useBrowserAndWorker(startNodeServer);
const url = suite.url;

const rupees = (text: string) => Number(text.replace(/[₹,]/g, ""));

let phone = 7_400_000_000 + Math.floor(Math.random() * 1_000_000);

const customer = (monthlyIncome: number) => ({
  first_name: "Nila",
  last_name: "Menon",
  age: 31,
  monthly_income: monthlyIncome,
  phone_number: ++phone,
});

/** A new customer and their new loan of ₹1,00,000 (or `loan_amount`) at 14 % over 12 months. */
const newLoan = (loan_amount = 100_000) =>
  suite.customerWithLoan(
    { first_name: "Nila", last_name: "Menon", age: 31, monthly_income: 90_000 },
    { loan_amount, interest_rate: 14, tenure: 12 },
  );

/** Counts the requests to `path` the page sends from now on. */
function countRequests(page: Page, path: string): () => number {
  let sent = 0;
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith(path)) sent += 1;
  });
  return () => sent;
}

/**
 * Enter pressed in `field`, then again while that request is held; the request then answered.
 * Returns how many requests to `path` were sent.
 */
async function enteredTwice(page: Page, form: Locator, field: string, path: string) {
  const sent = countRequests(page, path);
  const held = await hold(page, `**${path}**`, (route) => route.continue());
  await form.getByLabel(field).press("Enter");
  await held.reached;
  await form.getByLabel(field).press("Enter");
  held.release();
  await suite.session().settled();
  return sent();
}

describe("Enter pressed while the form's request is in flight", () => {
  it("checks again with the figures typed meanwhile, and shows and says only that check", async () => {
    const { page } = suite.session();
    const { customer_id } = await suite.created("/register", customer(20_000));
    await page.goto(url("/#check"));
    const check = view(page, "check");
    // ₹6,00,000 over 12 months is more than half of ₹20,000 a month: not eligible.
    await fillByLabel(check, loanRequest(customer_id, 600_000, 12, 12));
    const said = await recordTexts(page, "#check-form + [role=status]");
    const shown = await recordTexts(page, "#check-result");
    const sent = countRequests(page, "/check-eligibility");
    const held = await hold(page, "**/check-eligibility", (route) => route.continue());
    await check.getByRole("button", { name: "Check" }).click();
    await held.reached;

    // The officer lowers the amount and presses Enter while the first check still loads.
    await fillByLabel(check, { "Loan amount": 50_000 });
    await check.getByLabel("Loan amount").press("Enter");
    held.release();
    await check.locator("#check-result .verdict", { hasText: /^Eligible$/ }).waitFor();
    await suite.session().settled();

    const answer = await fetch(url("/check-eligibility"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        customer_id,
        loan_amount: 50_000,
        interest_rate: 12,
        tenure: 12,
      }),
    });
    const { monthly_installment } = (await answer.json()) as { monthly_installment: number };
    expect(rupees(await fact(check, "Monthly instalment"))).toBe(monthly_installment);
    expect(sent()).toBe(2);
    // The first check's refusal was neither shown nor said: the newer check replaced it.
    expect((await shown()).filter((text) => text.includes("Not eligible"))).toEqual([]);
    expect(await said()).toEqual([
      "Checking…",
      "Checking…",
      `Customer ${customer_id}: eligible, credit score 40, at 12.00 %`,
    ]);
  });

  /** A lookup view: its fields and request path for a customer's loan, its busy label, its sentence. */
  interface Lookup {
    view: View;
    fields(loan: Loan): Record<string, number>;
    path(loan: Loan): string;
    busy: string;
    said(loan: Loan): RegExp;
    /** What of the result names this loan or customer and no other. */
    names(loan: Loan): RegExp;
  }
  interface Loan {
    customerId: number;
    loanId: number;
  }
  const lookups: Lookup[] = [
    {
      view: "loans",
      fields: (loan) => ({ "Customer ID": loan.customerId }),
      path: (loan) => `/view-loans/${loan.customerId}`,
      busy: "Looking up…",
      said: (loan) => new RegExp(`^Customer ${loan.customerId} has 1 loan$`),
      names: (loan) => new RegExp(`Decision history of customer ${loan.customerId}$`),
    },
    {
      view: "decisions",
      fields: (loan) => ({ "Customer ID": loan.customerId }),
      path: (loan) => `/customers/${loan.customerId}/decisions`,
      busy: "Loading…",
      said: (loan) => new RegExp(`^Customer ${loan.customerId}: 1 decision$`),
      names: (loan) => new RegExp(`View loan ${loan.loanId}(?!\\d)`),
    },
    {
      view: "loan",
      fields: (loan) => ({ "Loan ID": loan.loanId }),
      path: (loan) => `/view-loan/${loan.loanId}`,
      busy: "Loading…",
      said: (loan) => new RegExp(`^Loan ${loan.loanId} of customer ${loan.customerId}: active`),
      names: (loan) => new RegExp(`Statement of loan ${loan.loanId}$`),
    },
    {
      view: "statement",
      fields: (loan) => ({ "Customer ID": loan.customerId, "Loan ID": loan.loanId }),
      path: (loan) => `/view-statement/${loan.customerId}/${loan.loanId}`,
      busy: "Loading…",
      said: (loan) =>
        new RegExp(`^Statement of loan ${loan.loanId} as of 2025-06-15: 12 instalments`),
      names: (loan) => new RegExp(`^Loan ${loan.loanId} of customer ${loan.customerId}:`),
    },
  ];

  it.each(lookups)(
    "$view: looks up the newer entry, and neither shows nor says the one it replaced",
    async (lookup) => {
      const { page } = suite.session();
      const first = await newLoan();
      const second = await newLoan();
      await page.goto(url(`/#${lookup.view}`));
      const section = view(page, lookup.view);
      const said = await recordTexts(page, `#${lookup.view}-form + [role=status]`);
      const shown = await recordTexts(page, `#${lookup.view}-result`);
      const lastField = Object.keys(lookup.fields(first)).at(-1) ?? "";
      // The first answer is held back until the second lookup is entered: it arrives replaced.
      const held = await hold(page, `**${lookup.path(first)}`, (route) => route.continue());
      await fillByLabel(section, lookup.fields(first));
      await section.getByLabel(lastField).press("Enter");
      await held.reached;
      await fillByLabel(section, lookup.fields(second));
      await section.getByLabel(lastField).press("Enter");
      held.release();
      await section
        .locator(`#${lookup.view}-result`)
        .filter({ hasText: lookup.names(second) })
        .waitFor();
      await suite.session().settled();

      // The first answer reached the page and was neither drawn nor said: the second replaced it.
      expect((await shown()).filter((text) => lookup.names(first).test(text))).toEqual([]);
      expect(await said()).toEqual([
        lookup.busy,
        lookup.busy,
        expect.stringMatching(lookup.said(second)),
      ]);
    },
  );

  it("loan: never draws the payment panel of a loan replaced while its statement loads", async () => {
    const { page } = suite.session();
    const first = await newLoan();
    // Twice the amount: its instalment and payoff are not the first loan's.
    const second = await newLoan(200_000);
    await page.goto(url("/#loan"));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    const drawn = await recordTexts(page, "#payment-due");
    // The first loan is drawn; the statement its payment panel reads is held until the second is entered.
    const held = await hold(
      page,
      `**/view-statement/${first.customerId}/${first.loanId}`,
      (route) => route.continue(),
    );
    await fillByLabel(loan, { "Loan ID": first.loanId });
    await loan.getByLabel("Loan ID").press("Enter");
    await held.reached;
    await fillByLabel(loan, { "Loan ID": second.loanId });
    await loan.getByLabel("Loan ID").press("Enter");
    held.release();
    await loan
      .locator("#loan-result")
      .getByText(`Loan ${second.loanId}`, { exact: true })
      .waitFor();
    await due.getByText(/^Period 1, due/).waitFor();
    await suite.session().settled();

    // The first loan's statement reached the page and its panel was never drawn: only the second's.
    expect(rupees(await fact(due, "Payoff"))).toBeGreaterThan(200_000);
    expect(await drawn()).toEqual([await due.textContent()]);
  });

  it("loan: leaves no instalment or payoff of a loan paid, then replaced while it is read again", async () => {
    const { page } = suite.session();
    const first = await newLoan();
    const second = await newLoan(200_000);
    await page.goto(url(`/#loan/${first.loanId}`));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText(/^Period 1, due/).waitFor();
    const instalment = rupees(await fact(due, "Instalment due"));
    // After the receipt the view reads the loan and its statement again: that statement is held
    // until the second loan is entered, and the second loan's answer until the panel is looked at.
    const readAgain = await hold(
      page,
      `**/view-statement/${first.customerId}/${first.loanId}`,
      (route) => route.continue(),
    );
    const secondAnswer = await hold(page, `**/view-loan/${second.loanId}`, (route) =>
      route.continue(),
    );
    await fillByLabel(loan, { Amount: instalment });
    await loan.getByRole("button", { name: "Pay" }).click();
    await readAgain.reached;
    await fillByLabel(loan, { "Loan ID": second.loanId });
    await loan.getByLabel("Loan ID").press("Enter");
    readAgain.release();
    await secondAnswer.reached;

    // The first loan's figures from before its payment are out of date and not the second's.
    expect((await due.textContent())?.trim()).toBe("");
    secondAnswer.release();
    await due.getByText(/^Period 1, due/).waitFor();
    await suite.session().settled();
    expect(rupees(await fact(due, "Payoff"))).toBeGreaterThan(200_000);
  });

  it("leaves the answer shown as it is when a lookup that failed was replaced", async () => {
    const { page } = suite.session();
    const first = await newLoan();
    const second = await newLoan();
    await page.goto(url(`/#loans/${first.customerId}`));
    const loans = view(page, "loans");
    const result = loans.locator("#loans-result");
    await result.getByText(`Loans of customer ${first.customerId}`).waitFor();
    // No such customer: the API's 404 arrives once the officer has entered the right one.
    const failing = await hold(page, "**/view-loans/999999999", (route) => route.continue());
    await fillByLabel(loans, { "Customer ID": 999_999_999 });
    await loans.getByLabel("Customer ID").press("Enter");
    await failing.reached;
    const newer = await hold(page, `**/view-loans/${second.customerId}`, (route) =>
      route.continue(),
    );
    await fillByLabel(loans, { "Customer ID": second.customerId });
    await loans.getByLabel("Customer ID").press("Enter");
    failing.release();
    await newer.reached;

    // The failure is not drawn: it emptied the loans shown while the newer lookup loaded.
    expect(await result.innerText()).toContain(`Loans of customer ${first.customerId}`);
    newer.release();
    await result.getByText(`Loans of customer ${second.customerId}`).waitFor();
  });

  it("sends a registration, a booking and a payment once: a second Enter is not a second write", async () => {
    const { page } = suite.session();
    await page.goto(url("/#register"));
    const register = view(page, "register");
    await fillByLabel(register, {
      "First name": "Nila",
      "Last name": "Menon",
      Age: 31,
      "Monthly income": 90_000,
      "Phone number": ++phone,
    });
    expect(await enteredTwice(page, register, "Age", "/register")).toBe(1);
    const registered = await register
      .locator("#register-result .verdict")
      .getByText(/^Registered customer \d+$/)
      .innerText();
    const customerId = Number(registered.replace(/\D/g, ""));

    await page.goto(url("/#book"));
    const book = view(page, "book");
    await fillByLabel(book, loanRequest(customerId, 50_000, 14, 12));
    expect(await enteredTwice(page, book, "Loan amount", "/create-loan")).toBe(1);
    const booked = await book
      .locator("#book-result .verdict")
      .getByText(/^Booked loan \d+$/)
      .innerText();

    await page.goto(url(`/#loan/${booked.replace(/\D/g, "")}`));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText(/^Period 1, due/).waitFor();
    await fillByLabel(loan, { Amount: rupees(await fact(due, "Instalment due")) });
    expect(await enteredTwice(page, loan.locator("#payment-form"), "Amount", "/make-payment")).toBe(
      1,
    );
    await loan
      .locator("#payment-result")
      .getByText(/^Paid ₹/)
      .waitFor();
  });
});
