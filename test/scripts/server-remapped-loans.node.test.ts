import { describe, expect, it } from "vitest";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  printedSummary,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * A loan row whose Loan ID a stored loan of another customer holds lands under a new id, given by
 * the server (docs/ingestion.md#loan-ids). The lender's next workbook meets that at once: the
 * later duplicates of the first file took the ids just above its highest Loan ID, the very ids
 * the lender gives its next loans. The script's report and summary listed only the duplicates
 * it marked itself: such a loan landed under another id while the run said "every row landed"
 * and listed nothing. The Node server in-process over a real libSQL file, real workbooks.
 */

const TOKEN = "server-remapped-loans-test-token";
const scratch = scratchFiles();
const { url: serverUrl, ingest } = ingestServerPerFile(TOKEN, scratch);

describe("a loan whose Loan ID another customer's stored loan holds", () => {
  it("is listed among the remapped loans and counted in the summary", async () => {
    const customers = [customerValues(91), customerValues(92)];
    const first = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans-1.xlsx") },
      { customers, loans: [loanValues(91, 99_001), loanValues(92, 99_001)] },
    );
    const firstReport = await ingest(first);
    expect(firstReport.remapped_loans).toEqual([
      { row: 3, customer_id: 92, source_loan_id: 99_001, loan_id: 99_002, first_row: 2 },
    ]);

    // The next month's file: the same loans, and a new one under the next Loan ID, 99002.
    const next = await writeLenderWorkbooks(
      { customers: scratch("customers-2.xlsx"), loans: scratch("loans-2.xlsx") },
      {
        customers,
        loans: [loanValues(91, 99_001), loanValues(92, 99_001), loanValues(91, 99_002)],
      },
    );
    const report = await ingest(next);

    expect(report.complete).toBe(true);
    expect(report.loans).toMatchObject({ rows_read: 3, landed: 3, rejected: 0 });
    expect(report.remapped_loans).toEqual([
      { row: 3, customer_id: 92, source_loan_id: 99_001, loan_id: 99_002, first_row: 2 },
      // No earlier row has its Loan ID: a stored loan of another customer does.
      { row: 4, customer_id: 91, source_loan_id: 99_002, loan_id: 99_003, first_row: null },
    ]);
    const loan = await fetch(`${serverUrl()}/view-loan/99003`);
    expect(((await loan.json()) as { customer: { id: number } }).customer.id).toBe(91);
    const summary = printedSummary(report);
    expect(summary).toContain("  remapped loan ids: 2\n");
    expect(summary).toContain(
      "  … 1 of them because a stored loan of another customer has its Loan ID (first_row null in the report)",
    );
  });
});
