import { describe, expect, it } from "vitest";
import { view } from "./support/console-page";
import { startNodeServer } from "./support/node-server";
import { useBrowserAndWorker } from "./support/suite";

/*
 * The console on a bad connection and behind an unhappy server, in Chromium against the Node
 * server: answers the network or a proxy can give and the server cannot (a reset, a hang, an HTML
 * error page, an empty 2xx) are injected with page.route; everything else is the real server.
 */

const suite = useBrowserAndWorker(startNodeServer);
const url = suite.url;

let phone = 7_600_000_000 + Math.floor(Math.random() * 1_000_000);

/** A new customer (monthly income 90,000) with loans of these amounts over 12 months. */
async function customerWithLoans(...amounts: number[]) {
  const { customer_id } = await suite.created("/register", {
    first_name: "Meera",
    last_name: "Iyer",
    age: 35,
    monthly_income: 90_000,
    phone_number: ++phone,
  });
  const loanIds: number[] = [];
  for (const loan_amount of amounts) {
    const { loan_id } = await suite.created("/create-loan", {
      customer_id,
      loan_amount,
      interest_rate: 14,
      tenure: 12,
    });
    loanIds.push(loan_id);
  }
  return { customerId: customer_id, loanIds };
}

describe("the console on an unreliable network", () => {
  it("does not show one loan's instalment and payoff under another whose figures did not arrive", async () => {
    const { loanIds } = await customerWithLoans(100_000, 200_000);
    const [first, second] = loanIds as [number, number];
    const { page } = suite.session();
    await page.goto(url(`/#loan/${first}`));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText("₹1,01,166.67").waitFor();

    // The second loan's details arrive; its statement (the figures due) is cut off.
    await page.route("**/view-statement/**", (route) => route.abort("connectionreset"));
    await page.goto(url(`/#loan/${second}`));
    await loan.locator("#loan-result").getByText(`Loan ${second}`, { exact: true }).waitFor();
    await loan.locator("#loan-form-error").filter({ hasText: /\S/ }).waitFor();
    expect(await due.innerText()).toBe("");
  });
});
