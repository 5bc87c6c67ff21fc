/*
 * Workbooks as LibreOffice and Google Sheets save them, not as exceljs writes them: their XML is
 * written here part by part (test/node/producer-xlsx.ts).
 */
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { readAllRows } from "../../scripts/lib/read-all-rows";
import { date1904Of } from "../../scripts/lib/workbook-properties";
import {
  CUSTOMER_HEADERS,
  customerValues,
  LOAN_HEADERS,
  loanValues,
  scratchFiles,
} from "../node/ingest-fixtures";
import { type ProducerCell, writeProducerXlsx } from "../node/producer-xlsx";

const pathOf = scratchFiles();

const customer = (id: number, overrides: Record<number, ProducerCell> = {}) =>
  customerValues(id, overrides) as ProducerCell[];

describe("the 1904 date system", () => {
  // 43538 and 44269 are 2023-03-15 and 2025-03-15 counted from 1904-01-01, and 2019-03-14 and
  // 2021-03-14 counted from 1899-12-30.
  it.each([
    ['"true" (LibreOffice)', "true", ["2023-03-15", "2025-03-15"]],
    ['"1" (Excel)', "1", ["2023-03-15", "2025-03-15"]],
    ['"false" (LibreOffice)', "false", ["2019-03-14", "2021-03-14"]],
    ["left out", undefined, ["2019-03-14", "2021-03-14"]],
  ])(
    "reads serials in the system the workbook declares: date1904 %s",
    async (_name, date1904, dates) => {
      // Before, "true" read as the 1900 system: the loan landed 1,462 days early, and nothing said so.
      const path = await writeProducerXlsx(pathOf(`loans-1904-${date1904}.xlsx`), {
        date1904,
        sheets: [
          {
            name: "Sheet1",
            rows: [LOAN_HEADERS, loanValues(1, 10, { 7: 43_538, 8: 44_269 }) as ProducerCell[]],
          },
        ],
      });
      const { valid, rejected } = await readAllRows(path, "loans");
      expect(rejected).toEqual([]);
      expect(valid.map((loan) => [loan.start_date, loan.end_date])).toEqual([dates]);
    },
  );

  it("reads workbookPr's date1904 as an XML boolean, in any namespace prefix and quoting", () => {
    expect(date1904Of('<workbook><workbookPr date1904="true"/></workbook>')).toBe(true);
    expect(date1904Of("<x:workbook><x:workbookPr backupFile='false' date1904 = ' 1 '/>")).toBe(
      true,
    );
    expect(date1904Of('<workbookPr date1904="false" showObjects="all"/>')).toBe(false);
    expect(date1904Of('<workbookPr filterPrivacy="1"/>')).toBe(false);
    expect(date1904Of('<workbookView date1904="1"/><workbookPr/>')).toBe(false);
    expect(date1904Of("<workbook/>")).toBe(false);
  });
});

describe("cells as other spreadsheets store them", () => {
  it("reads inline strings as shared strings", async () => {
    const rows = [CUSTOMER_HEADERS, customer(1)];
    const shared = await writeProducerXlsx(pathOf("shared.xlsx"), {
      sheets: [{ name: "S", rows }],
    });
    const inline = await writeProducerXlsx(pathOf("inline.xlsx"), {
      inlineStrings: true,
      sheets: [{ name: "S", rows }],
    });
    const expected = (await readAllRows(shared, "customers")).valid;
    expect(expected).toHaveLength(1);
    expect((await readAllRows(inline, "customers")).valid).toEqual(expected);
  });

  it("reads every non-ASCII name whole from a shared-string table exceljs is handed in many chunks", async () => {
    // One table entry per cell, as a writer that does not share strings saves them: the table is
    // decompressed in pieces that can end inside a character, which came back as U+FFFD.
    const rows = [
      CUSTOMER_HEADERS,
      ...Array.from({ length: 3_000 }, (_, i) => customer(1 + i, { 1: "नमस्ते", 2: "राव" })),
    ];
    const path = await writeProducerXlsx(pathOf("devanagari.xlsx"), {
      sheets: [{ name: "S", rows }],
    });
    const { valid, rejected } = await readAllRows(path, "customers");
    expect(rejected).toEqual([]);
    expect(valid).toHaveLength(3_000);
    const garbled = valid.filter((row) => row.first_name !== "नमस्ते" || row.last_name !== "राव");
    expect(garbled).toEqual([]);
  });

  it('takes text cells (t="str") and numbers stored as text, and rejects errors and booleans by row', async () => {
    const path = await writeProducerXlsx(pathOf("cell-types.xlsx"), {
      sheets: [
        {
          name: "S",
          rows: [
            CUSTOMER_HEADERS,
            customer(1, { 1: { t: "str", v: "Asha" }, 3: { t: "n", v: "34" }, 4: "9000000001" }),
            customer(2, { 3: { t: "e", v: "#N/A" } }),
            customer(3, { 3: { t: "b", v: "1" } }),
            customer(4, { 4: { t: "str", v: "9000000004" }, 5: "5.2E4" }),
          ],
        },
      ],
    });
    const { valid, rejected } = await readAllRows(path, "customers");
    expect(
      valid.map((c) => [c.row, c.first_name, c.age, c.phone_number, c.monthly_salary]),
    ).toEqual([
      [2, "Asha", 34, 9_000_000_001, 52_000],
      [5, "Asha", 34, 9_000_000_004, 52_000],
    ]);
    expect(rejected.map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([
      { row: 3, column: "Age", reason: "cell holds the Excel error #N/A" },
      { row: 4, column: "Age", reason: "expected a number, got a true/false value (TRUE)" },
    ]);
  });
});

describe("formulas whose saved result is 0 or empty text", () => {
  it("reads a 0 as 0, and skips rows below the data that hold only formulas giving empty text", async () => {
    // Excel saves `=IF(C5="","",…)` copied down past the data as <c t="str"><f>…</f><v></v></c>.
    // exceljs kept only truthy results: the 0 was rejected as "formula has no calculated result
    // saved in the file", and each such row below the data was rejected as a row without an id.
    const below = Array.from({ length: 3_000 }, (_, i): ProducerCell[] => [
      null,
      null,
      null,
      null,
      null,
      { t: "str", v: "", f: `IF(C${i + 6}="","",C${i + 6}/10)` },
    ]);
    const path = await writeProducerXlsx(pathOf("loans-falsy-formulas.xlsx"), {
      sheets: [
        {
          name: "Sheet1",
          rows: [
            LOAN_HEADERS,
            loanValues(1, 10, { 6: { t: "n", v: "0", f: "D2*0" } }) as ProducerCell[],
            loanValues(1, 11, { 4: { t: "n", v: "0", f: "0*1" }, 6: 2 }) as ProducerCell[],
            loanValues(1, 12, { 6: { t: "e", v: "#DIV/0!", f: "1/0" } }) as ProducerCell[],
            loanValues(1, 13, { 1: { t: "n", v: "13", f: "12+1" } }) as ProducerCell[],
            ...below,
          ],
        },
      ],
    });
    const { valid, rejected, blankRowsSkipped } = await readAllRows(path, "loans");
    expect(valid.map((l) => [l.row, l.loan_id, l.interest_rate, l.emis_paid_on_time])).toEqual([
      [2, 10, expect.any(Number), 0],
      [3, 11, 0, 2],
      [5, 13, expect.any(Number), expect.any(Number)],
    ]);
    expect(rejected.map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([
      {
        row: 4,
        column: "EMIs paid on Time",
        reason: "formula has no calculated result saved in the file",
      },
    ]);
    expect(blankRowsSkipped).toBe(3_000);
  });
});

describe('ISO date cells (t="d", as openpyxl, SheetJS and others write them)', () => {
  const isoDate = (v: string): ProducerCell => ({ t: "d", v });
  const loan = (loanId: number, start: ProducerCell, end: ProducerCell) =>
    loanValues(1, loanId, { 7: start, 8: end }) as ProducerCell[];
  const loansWorkbook = (name: string, loans: ProducerCell[][], date1904?: string) =>
    writeProducerXlsx(pathOf(name), {
      date1904,
      sheets: [{ name: "Sheet1", rows: [LOAN_HEADERS, ...loans] }],
    });

  it.each([
    ["1900", undefined],
    ["1904", "1"],
  ])(
    "reads the date the cell holds, alone or at midnight, in a %s-system workbook",
    async (_system, date1904) => {
      // Before, exceljs parsed "2023-03-15" as the number 2023: the loan landed on 1905-07-15.
      const path = await loansWorkbook(
        `loans-iso-${date1904}.xlsx`,
        [
          loan(10, isoDate("2023-03-15"), isoDate("2025-03-15")),
          loan(11, isoDate("2023-03-15T00:00:00"), isoDate(" 2025-03-15T00:00:00.000Z ")),
          loan(12, isoDate("2024-02-29T00:00"), isoDate("2026-02-28T00:00:00+05:30")),
        ],
        date1904,
      );
      const { valid, rejected } = await readAllRows(path, "loans");
      expect(rejected).toEqual([]);
      expect(valid.map((l) => [l.loan_id, l.start_date, l.end_date])).toEqual([
        [10, "2023-03-15", "2025-03-15"],
        [11, "2023-03-15", "2025-03-15"],
        [12, "2024-02-29", "2026-02-28"],
      ]);
    },
  );

  it("reads every row's date cells in a sheet exceljs is handed in many chunks, formulas too", async () => {
    const loans = Array.from({ length: 3_000 }, (_, i) => {
      const day = String((i % 28) + 1).padStart(2, "0");
      const start: ProducerCell = { t: "d", v: `2023-03-${day}`, f: i % 2 ? "TODAY()" : undefined };
      return loan(1_000 + i, start, isoDate(`2025-03-${day}T00:00:00`));
    });
    const path = await loansWorkbook("loans-iso-many.xlsx", loans);
    const { valid, rejected } = await readAllRows(path, "loans");
    expect(rejected).toEqual([]);
    expect(valid).toHaveLength(3_000);
    for (const [i, read] of valid.entries()) {
      const day = String((i % 28) + 1).padStart(2, "0");
      expect([read.start_date, read.end_date]).toEqual([`2023-03-${day}`, `2025-03-${day}`]);
    }
  });

  it("rejects by row, naming the column, a date cell it cannot read or that holds a time of day", async () => {
    const path = await loansWorkbook("loans-iso-bad.xlsx", [
      loan(20, isoDate("15/03/2023"), isoDate("2025-03-15")),
      loan(21, isoDate("2023-03-15"), isoDate("2025-02-29")),
      loan(22, isoDate("2023-03-14T18:30:00.000Z"), isoDate("2025-03-15")),
      loan(23, isoDate("2023-03-15"), isoDate("2025-03-15")),
    ]);
    const { valid, rejected } = await readAllRows(path, "loans");
    expect(valid.map((l) => [l.row, l.start_date, l.end_date])).toEqual([
      [5, "2023-03-15", "2025-03-15"],
    ]);
    expect(rejected.map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([
      {
        row: 2,
        column: "Date of Approval",
        reason: 'date cell holds text "15/03/2023", not a date written YYYY-MM-DD',
      },
      {
        row: 3,
        column: "End Date",
        reason: 'date cell holds text "2025-02-29", not a date written YYYY-MM-DD',
      },
      {
        row: 4,
        column: "Date of Approval",
        reason:
          "date cell holds a time of day (2023-03-14T18:30:00.000Z): save the date alone, as the time may have moved it to another day",
      },
    ]);
  });

  it("rejects a date cell in a number or a text column instead of reading its year", async () => {
    // Before, a salary written as a date cell landed as ₹2,023.
    const customers = [
      customer(1, { 5: isoDate("2023-03-15") }),
      customer(2, { 1: isoDate("2023-03-15") }),
      customer(3),
    ];
    const path = await writeProducerXlsx(pathOf("customers-iso.xlsx"), {
      sheets: [{ name: "S", rows: [CUSTOMER_HEADERS, ...customers] }],
    });
    const { valid, rejected } = await readAllRows(path, "customers");
    expect(valid.map((c) => c.customer_id)).toEqual([3]);
    expect(rejected.map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([
      { row: 2, column: "Monthly Salary", reason: "expected a number, got a date (2023-03-15)" },
      { row: 3, column: "First Name", reason: "expected text, got a date (2023-03-15)" },
    ]);
  });
});

describe("what a person does to a sheet", () => {
  it("ingests hidden rows, and rejects by row the cells under a merge, a +91 phone and a long name", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Customers");
    sheet.addRow(CUSTOMER_HEADERS);
    sheet.addRow(customerValues(1));
    sheet.addRow(customerValues(2)).hidden = true;
    sheet.addRow(customerValues(3, { 4: "+91 98765 43210" }));
    sheet.addRow(customerValues(4, { 1: "N".repeat(32_767) }));
    sheet.addRow(customerValues(5, { 4: "+919876543210" }));
    sheet.addRow(customerValues(6, { 0: 6 }));
    sheet.addRow(customerValues(7, { 0: null }));
    sheet.mergeCells("A7:A8");
    const path = pathOf("by-hand.xlsx");
    await workbook.xlsx.writeFile(path);
    const { valid, rejected } = await readAllRows(path, "customers");
    expect(valid.map((c) => [c.row, c.customer_id, c.phone_number])).toEqual([
      [2, 1, 9_000_000_001],
      [3, 2, 9_000_000_002],
      [6, 5, 919_876_543_210],
      [7, 6, 9_000_000_006],
    ]);
    expect(rejected.map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([
      { row: 4, column: "Phone Number", reason: 'expected a number, got text "+91 98765 43210"' },
      { row: 5, column: "First Name", reason: "must be at most 100 characters" },
      { row: 8, column: "Customer ID", reason: "must be a number, but it is empty" },
    ]);
  });
});
