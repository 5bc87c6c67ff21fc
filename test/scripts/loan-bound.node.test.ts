import { describe, expect, it } from "vitest";
import { loanBoundReason } from "../../src/ingest/plan-loans";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  printedSummary,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * A loans workbook that gives one customer more loans than ingestion keeps (5,000: the most
 * create-loan decides on). Every row used to land: with 50,000 such loans view-loans took 1.3-1.6 s
 * and every create-loan for that customer was a 409. The rows past the bound are now rejected by
 * the server, each alone, and the script reports each under the loans workbook's Customer ID
 * header with the customer and the bound in its reason; a rerun lands the same loans again and
 * rejects the same rows. The Node server in-process over a real libSQL file, real workbooks.
 */

const TOKEN = "loan-bound-test-token";
const scratch = scratchFiles();
const { url: serverUrl, ingest } = ingestServerPerFile(TOKEN, scratch);

const BOUND = LOANS_PER_CUSTOMER_AT_MOST;

describe("a loans workbook giving one customer more loans than the bound", () => {
  it("lands the bound's worth, rejects each row past it, and a rerun changes nothing", {
    timeout: 120_000,
  }, async () => {
    const loans = Array.from({ length: BOUND + 2 }, (_, i) => loanValues(95, 950_001 + i));
    loans.push(loanValues(96, 960_001)); // another customer's loan lands as ever
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans.xlsx") },
      { customers: [customerValues(95), customerValues(96)], loans },
    );

    const report = await ingest(files);

    expect(report.complete).toBe(false);
    expect(report.loans).toMatchObject({ rows_read: BOUND + 3, landed: BOUND + 1, rejected: 2 });
    expect(report.rejected_rows).toHaveLength(2);
    for (const rejected of report.rejected_rows) {
      expect(rejected).toMatchObject({
        file: "loans.xlsx",
        column: "Customer ID",
        server_column: "customer_id",
        customer_id: 95,
        reason: loanBoundReason(95, BOUND),
      });
    }
    const summary = printedSummary(report);
    const [first] = report.rejected_rows;
    expect(summary).toContain(
      `  rejected loans.xlsx row ${first?.row} Customer ID: customer 95 already has 5000 loans, the most one customer may hold, booked or ingested, so this loan is not ingested\n`,
    );
    const viewed = await fetch(`${serverUrl()}/view-loans/95`);
    expect(((await viewed.json()) as unknown[]).length).toBe(BOUND);

    // The same files again: every stored loan is re-ingested (not new), the same two rows refused.
    const rerun = await ingest(files);
    expect(rerun.loans).toMatchObject({ landed: BOUND + 1, rejected: 2 });
    expect(rerun.rejected_rows.map((r) => r.row)).toEqual(report.rejected_rows.map((r) => r.row));
    const booked = await fetch(`${serverUrl()}/view-loans/95`);
    expect(((await booked.json()) as unknown[]).length).toBe(BOUND);
  });

  it("reports a deferred row rejected at the bound when sent again as rejected, not also as deferred and not landed", {
    timeout: 120_000,
  }, async () => {
    // Customer 97 holds the bound's worth; customer 98 holds Loan ID 980_001. A later workbook's
    // row giving 97 that Loan ID is deferred by the server (another customer's stored loan has
    // it), sent again, and rejected for the bound. The server kept it listed as deferred, so the
    // script's report also listed it among remapped_loans with loan_id null and its summary said
    // "deferred by the server and not landed" beside the rejection.
    const customers = [customerValues(97), customerValues(98)];
    const first = await writeLenderWorkbooks(
      { customers: scratch("customers-97.xlsx"), loans: scratch("loans-97.xlsx") },
      {
        customers,
        loans: [
          ...Array.from({ length: BOUND }, (_, i) => loanValues(97, 970_001 + i)),
          loanValues(98, 980_001),
        ],
      },
    );
    expect((await ingest(first)).loans).toMatchObject({ landed: BOUND + 1, rejected: 0 });
    const later = await writeLenderWorkbooks(
      { customers: scratch("customers-97b.xlsx"), loans: scratch("loans-97b.xlsx") },
      { customers, loans: [loanValues(97, 980_001)] },
    );

    const report = await ingest(later);

    expect(report.loans).toMatchObject({ rows_read: 1, landed: 0, rejected: 1 });
    expect(report.rejected_rows).toEqual([
      expect.objectContaining({ row: 2, customer_id: 97, reason: loanBoundReason(97, BOUND) }),
    ]);
    expect(report.remapped_loans).toEqual([]);
    expect(printedSummary(report)).not.toContain("deferred by the server");
  });
});
