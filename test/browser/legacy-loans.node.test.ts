import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { fact, view } from "./support/console-page";
import { startNodeServer } from "./support/node-server";
import { useBrowserAndWorker } from "./support/suite";

/*
 * The console on a loan stored before model 2026-12.9 whose schedule runs past 9999-12-31
 * (docs/servicing.md#loans-stored-by-older-releases): the Node server on a throwaway libSQL file,
 * with the row written straight into that file, as the older release left it.
 */

let databaseUrl = "";

const suite = useBrowserAndWorker(async () => {
  const server = await startNodeServer();
  databaseUrl = server.databaseUrl;
  return server;
});

/** ₹1,00,000 at 10 % over 600 months from 9990-01-31, with every EMI recorded as paid on time. */
async function storeRepaidLegacyLoan(customerId: number): Promise<number> {
  const client = createClient({ url: databaseUrl });
  try {
    const result = await client.execute({
      sql: `INSERT INTO loans (customer_id, source_loan_id, loan_amount_paise, tenure, interest_rate_bp,
              monthly_payment_paise, emis_paid_on_time, workbook_emis_paid_on_time, start_date, end_date)
            VALUES (?, 90001, 10000000, 600, 1000, 83911, 600, 600, '9990-01-31', '9999-12-31')
            RETURNING id`,
      args: [customerId],
    });
    return Number(result.rows[0]?.id);
  } finally {
    client.close();
  }
}

describe("a loan repaid past 9999-12-31 in the console", () => {
  it("shows it closed, with no date where none can be written", async () => {
    const { customer_id } = await suite.created("/register", {
      first_name: "Ira",
      last_name: "Sen",
      age: 40,
      monthly_income: 60_000,
      phone_number: 7_123_456_789,
    });
    const loanId = await storeRepaidLegacyLoan(customer_id);
    const viewed = await fetch(suite.url(`/view-loan/${loanId}`));
    expect(await viewed.json()).toMatchObject({ status: "closed", closed_on: null });

    const { page } = suite.session();
    await page.goto(suite.url(`/#loan/${loanId}`));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText(/Repaid in full/).waitFor();
    expect(await fact(loan, "Status")).toBe("closed");
    expect(await due.innerText()).toBe("Repaid in full.");
    expect(await loan.innerText()).not.toContain("null");
  });
});
