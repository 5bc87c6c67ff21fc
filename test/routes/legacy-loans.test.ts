import { describe, expect, it } from "vitest";
import { loans } from "../../src/db/schema";
import { monthlyInstalmentPaise } from "../../src/domain/loan-terms";
import { backend } from "../support/backend";
import { callJson, registerCustomer } from "../support/http";

/*
 * Loans stored by older releases, written straight into the database as those releases left them:
 * here the closed_on that migration 0003_servicing.sql computed in SQL for loans stored before it
 * (docs/servicing.md#loans-stored-by-older-releases).
 */

type LoanRow = typeof loans.$inferInsert;

let sourceLoanId = 700_000;

/** A workbook loan row as an older release stored it (no API payment, state columns null). */
async function storeLegacyLoan(customerId: number, row: Partial<LoanRow>): Promise<number> {
  const loanAmountPaise = row.loanAmountPaise ?? 10_000_000;
  const interestRateBp = row.interestRateBp ?? 1000;
  const tenure = row.tenure ?? 600;
  const emis = row.emisPaidOnTime ?? 0;
  sourceLoanId += 1;
  const [stored] = await backend()
    .database()
    .insert(loans)
    .values({
      customerId,
      sourceLoanId,
      loanAmountPaise,
      tenure,
      interestRateBp,
      monthlyPaymentPaise: monthlyInstalmentPaise(loanAmountPaise, interestRateBp, tenure),
      emisPaidOnTime: emis,
      workbookEmisPaidOnTime: emis,
      startDate: "9990-01-31",
      // The workbook's own End Date: a YYYY-MM-DD date, so never past 9999-12-31.
      endDate: "9999-12-31",
      ...row,
    })
    .returning({ id: loans.id });
  if (!stored) throw new Error("insert failed");
  return stored.id;
}

/**
 * Migration 0003's backfill of closed_on (migrations/0003_servicing.sql), run on one loan: the
 * last due date, start_date + tenure months clamped to the month's end, for a loan whose recorded
 * count covers its tenure. SQLite's date() gives NULL past 9999-12-31.
 */
async function applyMigration0003ClosedOn(loanId: number): Promise<void> {
  await backend().query(
    "UPDATE `loans` SET `closed_on` = min(date(`start_date`, 'start of month', '+' || `tenure` || ' months', '+' || (CAST(strftime('%d', `start_date`) AS INTEGER) - 1) || ' days'), date(`start_date`, 'start of month', '+' || (`tenure` + 1) || ' months', '-1 day')) WHERE `emis_paid_on_time` >= `tenure` AND `id` = ?",
    [loanId],
  );
}

interface LoanJson {
  loan_id: number;
  status: string;
  closed_on: string | null;
  is_current: boolean;
  repayments_left: number;
  [field: string]: unknown;
}

describe("is_current of an extreme loan whose closed_on migration 0003 computed", () => {
  // ₹1,000 at 0 % over 600 months: the EMI of ₹1.67 (rounded up) repays it in period 599, a month
  // before its last due date (docs/servicing.md#rounding-at-extreme-terms). Started 1975-07-01,
  // period 599 fell due on 2025-06-01 and period 600 on 2025-07-01; the as-of date is 2025-06-15.
  const extreme: Partial<LoanRow> = {
    loanAmountPaise: 100_000,
    interestRateBp: 0,
    tenure: 600,
    startDate: "1975-07-01",
    endDate: "2025-07-01",
  };

  it("agrees with status and closed_on when the recorded count covers the tenure", async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await storeLegacyLoan(customer_id, {
      ...extreme,
      emisPaidOnTime: 600,
      workbookEmisPaidOnTime: 600,
    });
    await applyMigration0003ClosedOn(loanId);
    // The migration closed it on its last due date, a month after the schedule repays it.
    const [stored] = await backend().query<{ closed_on: string }>(
      "SELECT closed_on FROM loans WHERE id = ?",
      [loanId],
    );
    expect(stored?.closed_on).toBe("2025-07-01");

    const viewed = await callJson<LoanJson>(`/view-loan/${loanId}`);
    expect(viewed.status).toBe(200);
    expect(viewed.body).toMatchObject({ status: "closed", closed_on: "2025-06-01" });
    // Repaid on or before the as-of date: not current (docs/product.md#definitions).
    expect(viewed.body.is_current).toBe(false);
    const listed = await callJson<LoanJson[]>(`/view-loans/${customer_id}`);
    expect(listed.body[0]).toMatchObject({
      status: "closed",
      closed_on: "2025-06-01",
      is_current: false,
    });
  });

  it("agrees with status and closed_on when the migration left it open (599 of 600 recorded)", async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await storeLegacyLoan(customer_id, {
      ...extreme,
      emisPaidOnTime: 599,
      workbookEmisPaidOnTime: 599,
    });
    await applyMigration0003ClosedOn(loanId);
    const viewed = await callJson<LoanJson>(`/view-loan/${loanId}`);
    expect(viewed.body).toMatchObject({
      status: "closed",
      closed_on: "2025-06-01",
      repayments_left: 0,
      is_current: false,
    });
  });

  it("stays current while closed only after the as-of date", async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await storeLegacyLoan(customer_id, {
      ...extreme,
      emisPaidOnTime: 600,
      workbookEmisPaidOnTime: 600,
    });
    await applyMigration0003ClosedOn(loanId);
    // As of 2025-05-15 the schedule had not yet repaid it (period 599 falls due 2025-06-01).
    const viewed = await callJson<LoanJson>(`/view-loan/${loanId}`, {
      env: { AS_OF_DATE: "2025-05-15" },
    });
    expect(viewed.body).toMatchObject({
      status: "closed",
      closed_on: "2025-06-01",
      is_current: true,
    });
  });
});
