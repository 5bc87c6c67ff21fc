import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { describe, expect, it } from "vitest";
import { schema } from "../../src/db/database";
import { LEGACY_LOAN, type LoanRow, storeLegacyLoan } from "../support/legacy-loan";
import { fact, view } from "./support/console-page";
import { startNodeServer } from "./support/node-server";
import { useBrowserAndWorker } from "./support/suite";

/*
 * The console on loans whose rows the API cannot make, written straight into a throwaway libSQL
 * file under the Node server: one stored before model 2026-12.9 whose schedule runs past
 * 9999-12-31 (docs/servicing.md#loans-stored-by-older-releases), as the older release left it, and
 * a workbook loan whose End Date is not its schedule's last due date, as ingestion accepts it.
 */

let databaseUrl = "";

const suite = useBrowserAndWorker(async () => {
  const server = await startNodeServer();
  databaseUrl = server.databaseUrl;
  return server;
});

/**
 * A workbook loan repaid by its count (every EMI recorded paid on time), written into the server's
 * file; the rest as `row` gives it, or test/support/legacy-loan.ts's defaults.
 */
async function storeRepaidLoan(customerId: number, row: Partial<LoanRow> = {}): Promise<number> {
  const client = createClient({ url: databaseUrl });
  try {
    const emisPaidOnTime = row.tenure ?? LEGACY_LOAN.tenure;
    return await storeLegacyLoan(drizzle({ client, schema }), customerId, {
      ...row,
      emisPaidOnTime,
      workbookEmisPaidOnTime: emisPaidOnTime,
    });
  } finally {
    client.close();
  }
}

/** ₹1,00,000 at 10 % over 600 months from 9990-01-31. */
const storeRepaidLegacyLoan = (customerId: number) => storeRepaidLoan(customerId);

/**
 * ₹1,20,000 at 12 % over 12 months from 2024-01-15, whose workbook row gave an End Date
 * (2026-06-30) other than its schedule's last due date (2025-01-15).
 */
const storeRepaidWorkbookLoan = (customerId: number) =>
  storeRepaidLoan(customerId, {
    loanAmountPaise: 12_000_000,
    tenure: 12,
    interestRateBp: 1200,
    startDate: "2024-01-15",
    endDate: "2026-06-30",
  });

describe("a workbook loan repaid by its count, with an End Date not its schedule's", () => {
  it("is worded one way in the loan view, its payment panel and its statement", async () => {
    const { customer_id } = await suite.created("/register", {
      first_name: "Anu",
      last_name: "Das",
      age: 35,
      monthly_income: 80_000,
      phone_number: 7_123_456_790,
    });
    const loanId = await storeRepaidWorkbookLoan(customer_id);
    const viewed = await fetch(suite.url(`/view-loan/${loanId}`));
    expect(await viewed.json()).toMatchObject({
      status: "closed",
      closed_on: "2025-01-15",
      end_date: "2026-06-30",
    });

    const { page } = suite.session();
    await page.goto(suite.url(`/#loan/${loanId}`));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    // Decided by the date, the loan view and panel said "closed on 2025-01-15" while the
    // statement said "repaid in full": view-loan's end_date is the workbook's, not the schedule's.
    await due.getByText("Repaid in full (last instalment due 2025-01-15).").waitFor();
    expect(await fact(loan, "Status")).toBe("repaid in full (last instalment due 2025-01-15)");

    await page.goto(suite.url(`/#statement/${customer_id}/${loanId}`));
    const statement = view(page, "statement").locator("#statement-result");
    await statement
      .getByText(
        `Loan ${loanId} of customer ${customer_id}: repaid in full (last instalment due 2025-01-15)`,
      )
      .waitFor();
  });
});

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
