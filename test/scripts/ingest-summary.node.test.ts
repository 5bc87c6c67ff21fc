import { afterEach, describe, expect, it, vi } from "vitest";
import type { IngestReport } from "../../scripts/lib/ingest-report";
import { readAllRows } from "../../scripts/lib/read-all-rows";
import { readRows } from "../../scripts/lib/read-workbook";
import {
  CUSTOMER_HEADERS,
  customerValues,
  printedSummary,
  scratchFiles,
  writeWorkbook,
} from "../node/ingest-fixtures";

/* The summary `npm run ingest` prints: what an operator's terminal (and its scrollback) keeps. */

const scratch = scratchFiles();

afterEach(() => {
  vi.restoreAllMocks();
});

function reportWith(rejected: IngestReport["rejected_rows"]): IngestReport {
  const summary = {
    file: "customers.xlsx",
    rows_read: 1,
    rejected: 1,
    sent: 0,
    landed: 0,
    dead: 0,
  };
  return {
    job_id: "ingest-test",
    url: "http://127.0.0.1:1",
    started_at: "2025-06-15T00:00:00.000Z",
    duration_ms: 10,
    customers: summary,
    loans: { ...summary, file: "loans.xlsx", rows_read: 0, rejected: 0 },
    rejected_rows: rejected,
    remapped_loans: [],
    dead_chunks: [],
    complete: false,
  };
}

describe("the ingest script's summary", () => {
  it("masks a phone number quoted from a rejected cell, as the server's logs do", async () => {
    const file = await writeWorkbook(scratch("phones.xlsx"), [
      { rows: [CUSTOMER_HEADERS, customerValues(1, { 4: "+91 55500 00015" })] },
    ]);
    const [rejection] = (await readAllRows(file, "customers")).rejected;
    expect(rejection?.reason).toContain('"+91 55500 00015"');

    const output = printedSummary(reportWith(rejection ? [rejection] : []));
    expect(output).toContain(
      'rejected phones.xlsx row 2 Phone Number: expected a number, got text "+** ***** ***15"',
    );
    expect(output).not.toMatch(/55500|00015/);
  });

  it("keeps a rejection on one line when the workbook's header is wrapped onto two", async () => {
    // A header typed with Alt+Enter ("Monthly\nSalary") is matched, and was printed as it is
    // written: the summary's line broke in two.
    const headers = CUSTOMER_HEADERS.with(5, "Monthly\nSalary").with(4, "Phone\r\n Number");
    const file = await writeWorkbook(scratch("wrapped.xlsx"), [
      { rows: [headers, customerValues(1, { 5: "lots" }), customerValues(2, { 4: "none" })] },
    ]);
    const { rejected } = await readAllRows(file, "customers");
    // The file keeps the line break (XML reads \r\n as \n).
    expect(rejected.map((r) => r.column)).toEqual(["Monthly\nSalary", "Phone\n Number"]);

    const output = printedSummary(reportWith(rejected));
    expect(output).toContain(
      'rejected wrapped.xlsx row 2 Monthly Salary: expected a number, got text "lots"\n',
    );
    expect(output).toContain(
      'rejected wrapped.xlsx row 3 Phone Number: expected a number, got text "none"\n',
    );
  });

  it("shows row numbers and the rules' limits whole, masking only what the cell held", () => {
    // A loans file of a million rows has 7-digit row numbers, and a salary's limit has 10
    // digits: both read as phone numbers and were masked ("row *****05", "must be at most
    // ********00"), so the operator could neither find the row nor read the rule.
    const output = printedSummary(
      reportWith([
        {
          file: "loans.xlsx",
          row: 1_000_005,
          column: "Loan Amount",
          reason: "must be at most 1000000000",
        },
        {
          file: "customers.xlsx",
          row: 3,
          column: "Phone Number",
          reason: "must be at least 1000000",
        },
        {
          file: "customers.xlsx",
          row: 4,
          column: "Monthly Salary",
          reason: "must be greater than 0",
        },
        {
          file: "loans.xlsx",
          row: 2_000_003,
          column: "Loan ID",
          reason:
            "repeats Loan ID 810001 of customer 14 from row 1000002: a customer's loans cannot share a Loan ID, so only row 1000002 is ingested",
        },
        {
          file: "loans.xlsx",
          row: 1_234_567,
          column: "Date of Approval",
          reason: "9876543210 is not a date serial Excel can show",
        },
      ]),
    );
    expect(output).toContain(
      "rejected loans.xlsx row 1000005 Loan Amount: must be at most 1000000000",
    );
    expect(output).toContain(
      "rejected customers.xlsx row 3 Phone Number: must be at least 1000000",
    );
    expect(output).toContain(
      "rejected customers.xlsx row 4 Monthly Salary: must be greater than 0",
    );
    expect(output).toContain(
      "rejected loans.xlsx row 2000003 Loan ID: repeats Loan ID 810001 of customer 14 from row 1000002: a customer's loans cannot share a Loan ID, so only row 1000002 is ingested",
    );
    // A phone number in a date column is still masked.
    expect(output).toContain(
      "rejected loans.xlsx row 1234567 Date of Approval: ********10 is not a date serial Excel can show",
    );
  });

  it("names a later worksheet that holds the file's columns and rows, which is not ingested", async () => {
    // The run said "every row landed", exit code 0, while the rows of "More customers" were
    // never sent. A sheet of notes, or the columns with no rows under them, is not named.
    const file = await writeWorkbook(scratch("two-sheets.xlsx"), [
      { name: "Customers", rows: [CUSTOMER_HEADERS, customerValues(1)] },
      {
        name: "Notes",
        rows: [
          ["not", "customers"],
          ["at", "all"],
        ],
      },
      { name: "Template", rows: [CUSTOMER_HEADERS] },
      {
        name: "More customers",
        rows: [[], CUSTOMER_HEADERS, customerValues(2), customerValues(3)],
      },
    ]);
    const rows = readRows(file, "customers");
    const read = [];
    for await (const row of rows) read.push(row.customer_id);
    expect(read).toEqual([1]);
    expect(rows.sheetsNotRead).toEqual([{ name: "More customers", rows: 2 }]);

    const report = reportWith([]);
    const output = printedSummary({
      ...report,
      customers: {
        ...report.customers,
        file: "two-sheets.xlsx",
        sheets_not_read: rows.sheetsNotRead,
      },
      complete: true,
    });
    expect(output).toContain(
      'not read: two-sheets.xlsx worksheet "More customers" has the same columns and 2 rows under them; only the first worksheet is ingested: move those rows into it',
    );
    expect(output).toContain('every row landed (of the first worksheets: see "not read" above)');
  });

  it("names the customer of an UNKNOWN_CUSTOMER row", () => {
    const output = printedSummary(
      reportWith([
        {
          file: "loans.xlsx",
          row: 3,
          column: "Customer ID",
          server_column: "customer_id",
          reason: "UNKNOWN_CUSTOMER",
          customer_id: 59,
        },
      ]),
    );
    expect(output).toContain(
      "rejected loans.xlsx row 3 Customer ID: UNKNOWN_CUSTOMER (customer 59)",
    );
  });

  it("counts as remapped only the later duplicates that landed under a new id", () => {
    const duplicate = { customer_id: 7, source_loan_id: 4160, first_row: 2 };
    const output = printedSummary({
      ...reportWith([]),
      remapped_loans: [
        { ...duplicate, row: 5, loan_id: 9001 },
        { ...duplicate, row: 6, loan_id: 9002 },
        { ...duplicate, row: 7, loan_id: null }, // its customer unknown: rejected, not stored
      ],
    });
    expect(output).toContain("  remapped loan ids: 2\n");
    expect(output).toContain(
      "  … and 1 later duplicates that did not land (rejected or dead: see the report)",
    );
  });

  it("names apart a loan the server deferred that did not land, not as a later duplicate", () => {
    // Its Loan ID is held by a stored loan of another customer; the run stopped before it was
    // sent again (docs/ingestion.md#loan-ids).
    const held = { customer_id: 8, first_row: null };
    const output = printedSummary({
      ...reportWith([]),
      remapped_loans: [
        { ...held, row: 5, source_loan_id: 9001, loan_id: 9050 },
        { ...held, row: 6, source_loan_id: 9002, loan_id: null },
      ],
    });
    expect(output).toContain("  remapped loan ids: 1\n");
    expect(output).toContain(
      "  … 1 of them because a stored loan of another customer has its Loan ID (first_row null in the report)",
    );
    expect(output).toContain(
      "  … and 1 loans whose Loan ID a stored loan of another customer has, deferred by the server and not landed (see the report)",
    );
    expect(output).not.toContain("later duplicates");
  });

  it("says what the server's report left out of its lists, and does not call those unlanded", () => {
    const duplicate = { customer_id: 7, source_loan_id: 4160, first_row: 2 };
    const output = printedSummary({
      ...reportWith([]),
      remapped_loans: [
        { ...duplicate, row: 5, loan_id: 9001 },
        { ...duplicate, row: 6, loan_id: null },
      ],
      server_not_listed: { rejections: 3, remapped_loans: 1 },
    });
    expect(output).toContain(
      "  … and 1 later duplicates without a new id in the report (rejected, dead, or past the server's list)",
    );
    expect(output).toContain(
      "  not listed by the server (its report lists only the first): 3 rejections and 1 remapped loans, counted above",
    );
    expect(output).not.toContain("did not land");
  });
});
