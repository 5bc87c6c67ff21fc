import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startSeededWorker } from "../../scripts/lib/seeded-worker";
import { fact, fillByLabel, view } from "./support/console-page";
import { useBrowserAndWorker } from "./support/suite";

/*
 * Two tabs of the console on one loan, as an officer keeps them through the day: what one tab
 * records, the other learns from the API's answer to its own payment. AS_OF_DATE is 2025-06-15.
 */

const suite = useBrowserAndWorker(startSeededWorker);
const url = suite.url;

const rupees = (text: string) => Number(text.replace(/[₹,]/g, ""));

async function openLoan(page: Page, loanId: number) {
  await page.goto(url(`/#loan/${loanId}`));
  const loan = view(page, "loan");
  const due = loan.locator("#payment-due");
  await due.getByText("Period 1, due 2025-07-15").waitFor();
  return { loan, due };
}

async function pay(loan: ReturnType<typeof view>, amount: number) {
  await fillByLabel(loan, { Amount: amount });
  await loan.getByRole("button", { name: "Pay" }).click();
}

describe("two tabs on one loan", () => {
  it("shows the loan repaid, and the payment not taken, when the other tab's payoff closed it", async () => {
    const { page } = suite.session();
    const other = await page.context().newPage();
    const { customerId, loanId } = await suite.customerWithLoan(
      { first_name: "Ravi", last_name: "Menon", age: 40, monthly_income: 60_000 },
      { loan_amount: 100_000, interest_rate: 12, tenure: 12 },
    );
    const first = await openLoan(page, loanId);
    const second = await openLoan(other, loanId);
    await pay(first.loan, rupees(await fact(first.due, "Payoff")));
    await first.loan.locator("#payment-result").getByText("loan repaid in full").waitFor();

    await pay(second.loan, rupees(await fact(second.due, "Instalment due")));
    const result = second.loan.locator("#payment-result");
    await result.filter({ hasText: /\S/ }).waitFor();
    expect(await result.innerText()).toBe("Not paid: The loan was repaid in full on 2025-06-15.");
    // The refusal is not the last word on a page still offering the instalment and the payoff:
    // the loan is read again, repaid, with nothing left to pay.
    await second.due.getByText("Repaid in full on 2025-06-15.").waitFor();
    expect(await second.loan.locator("#payment-form").isHidden()).toBe(true);
    expect(await second.due.getByText("Payoff").count()).toBe(0);
    expect(await other.locator("#payment-form-error").innerText()).toBe("");
    // Said once in the payment form's status, which stays outside the form now hidden.
    expect(await other.locator("#payment-form + [role=status]").textContent()).toBe(
      "Not paid: The loan was repaid in full on 2025-06-15.",
    );

    const statement = await fetch(url(`/view-statement/${customerId}/${loanId}`));
    const { payments } = (await statement.json()) as { payments: unknown[] };
    expect(payments.length).toBe(1);
    await other.close();
  });
});
