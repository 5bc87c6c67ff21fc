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
 * Customer IDs and Loan IDs of 7 digits or more (ingestion takes them up to 2^53 − 1) in the
 * summary `npm run ingest` prints. They have as many digits as a phone number and were masked as
 * one ("UNKNOWN_CUSTOMER (customer *********01)", "already belongs to customer ******78"), so the
 * operator could not tell which customer's rows were rejected. Phone numbers stay masked, also
 * inside a quoted cell that reads like an id. The Node server in-process over a real libSQL file,
 * real workbooks, the real script.
 */

const TOKEN = "summary-large-ids-test-token";
const scratch = scratchFiles();
const { ingest } = ingestServerPerFile(TOKEN, scratch);

describe("the ingest summary with ids of 7 digits or more", () => {
  it("shows Customer IDs and Loan IDs whole, and masks every phone number", async () => {
    const files = await writeLenderWorkbooks(
      { customers: scratch("big-customers.xlsx"), loans: scratch("big-loans.xlsx") },
      {
        customers: [
          customerValues(12_345_678),
          // A phone number written with spaces: rejected by the reader, quoting the cell.
          customerValues(23_456_789, { 4: "+91 98765 43210" }),
          // Customer 12345678's phone number: refused by the server.
          customerValues(34_567_890, { 4: 9_000_000_000 + 12_345_678 }),
          // A cell that reads like an id, but is the cell's text: masked as a phone number.
          customerValues(45_678_901, { 3: "customer 9123456780" }),
          customerValues(12_345_678),
        ],
        loans: [
          loanValues(12_345_678, 1_234_567_890),
          loanValues(34_567_890, 2_345_678_901),
          loanValues(98_765_432_101, 3_456_789_012),
          // The same Loan ID again for customer 12345678.
          loanValues(12_345_678, 1_234_567_890, { 2: 260_000 }),
        ],
      },
    );
    const report = await ingest(files);
    expect(report.complete).toBe(false);
    const output = printedSummary(report);

    expect(output).toContain(
      '  rejected big-customers.xlsx row 3 Phone Number: expected a number, got text "+** ***** ***10"\n',
    );
    expect(output).toContain(
      '  rejected big-customers.xlsx row 5 Age: expected a number, got text "customer ********80"\n',
    );
    expect(output).toMatch(
      /\n {2}rejected big-customers\.xlsx row 6 Customer ID: repeats Customer ID 12345678 from row 2\b/,
    );
    expect(output).toContain(
      "  rejected big-customers.xlsx row 4 Phone Number: phone number already belongs to customer 12345678\n",
    );
    expect(output).toContain(
      "  rejected big-loans.xlsx row 3 Customer ID: customer 34567890's row 4 of big-customers.xlsx was rejected (phone number already belongs to customer 12345678), so its loans are not ingested either\n",
    );
    expect(output).toContain(
      "  rejected big-loans.xlsx row 4 Customer ID: UNKNOWN_CUSTOMER (customer 98765432101)\n",
    );
    expect(output).toContain(
      "  rejected big-loans.xlsx row 5 Loan ID: repeats Loan ID 1234567890 of customer 12345678 from row 2: a customer's loans cannot share a Loan ID, so only row 2 is ingested\n",
    );
    // No phone number of the workbook is printed whole.
    expect(output).not.toMatch(/98765 43210|9123456780|9012345678/);
  });
});
