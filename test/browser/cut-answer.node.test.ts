import { describe, expect, it } from "vitest";
import { fact, fillByLabel, loanRequest, view } from "./support/console-page";
import { type CuttingProxy, startCuttingProxy } from "./support/cutting-proxy";
import { startNodeServer } from "./support/node-server";
import { useBrowserAndWorker } from "./support/suite";

/*
 * An answer cut partway (headers sent, body cut) by a real dropped connection: the Node server
 * behind a TCP proxy that closes the socket mid-body, in Chromium. AS_OF_DATE is 2025-06-15.
 */

let phone = 7_700_000_000 + Math.floor(Math.random() * 1_000_000);

function newCustomer() {
  return suite.created("/register", {
    first_name: "Meera",
    last_name: "Iyer",
    age: 35,
    monthly_income: 90_000,
    phone_number: ++phone,
  });
}

let proxy: CuttingProxy;
const suite = useBrowserAndWorker(async () => {
  const server = await startNodeServer();
  proxy = await startCuttingProxy(server.url);
  return {
    ...server,
    url: proxy.url,
    stop: async () => {
      await proxy.close();
      await server.stop();
    },
  };
});

describe("a booking whose answer is cut partway", () => {
  it("says the connection was cut; pressed again, it is replayed, not booked twice", async () => {
    const { customer_id } = await newCustomer();
    const { page } = suite.session();
    await page.goto(suite.url("/#book"));
    const book = view(page, "book");
    await fillByLabel(book, loanRequest(customer_id, 50_000, 14, 12));
    proxy.cutNext("POST /create-loan");
    await book.getByRole("button", { name: "Book" }).click();

    await book
      .getByText(/^The request failed: no answer from the API: the connection failed or was cut/)
      .waitFor();
    expect(await book.getByLabel("Loan amount").inputValue()).toBe("50000");
    await book.getByRole("button", { name: "Book" }).click();
    await book
      .getByText(/^Already sent: this is the first answer; nothing new was booked/)
      .waitFor();
    const loans = await fetch(suite.url(`/view-loans/${customer_id}`));
    expect(((await loans.json()) as unknown[]).length).toBe(1);
  });
});

describe("a payment whose answer is cut partway", () => {
  it("says the connection was cut; pressed again, it is replayed, not taken twice", async () => {
    const { customer_id } = await newCustomer();
    const { loan_id } = await suite.created("/create-loan", {
      customer_id,
      loan_amount: 50_000,
      interest_rate: 14,
      tenure: 12,
    });
    const { page } = suite.session();
    await page.goto(suite.url(`/#loan/${loan_id}`));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText("Period 1, due 2025-07-15").waitFor();
    const instalment = (await fact(due, "Instalment due")).replace(/[₹,]/g, "");
    await fillByLabel(loan, { Amount: instalment });
    proxy.cutNext(`POST /make-payment/${customer_id}/${loan_id}`);
    await loan.getByRole("button", { name: "Pay" }).click();

    await loan
      .getByText(/^The request failed: no answer from the API: the connection failed or was cut/)
      .waitFor();
    expect(await loan.getByLabel("Amount").inputValue()).toBe(instalment);
    await loan.getByRole("button", { name: "Pay" }).click();
    await loan.getByText(/^Already sent: this is the first answer; nothing new was paid/).waitFor();
    const statement = await fetch(suite.url(`/view-statement/${customer_id}/${loan_id}`));
    const { payments } = (await statement.json()) as { payments: { source: string }[] };
    expect(payments.filter((payment) => payment.source === "api")).toHaveLength(1);
  });
});
