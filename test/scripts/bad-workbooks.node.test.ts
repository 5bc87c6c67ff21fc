/*
 * Files the reader must refuse as a whole (a WorkbookError, before any row is yielded) and rows it
 * must reject one by one while every other row still comes through.
 */
import { readFile, writeFile } from "node:fs/promises";
import ExcelJS from "exceljs";
import { describe, expect, it, vi } from "vitest";
import { readAllRows } from "../../scripts/lib/read-all-rows";
import { readRows, WorkbookError } from "../../scripts/lib/read-workbook";
import type { IngestKind } from "../../src/ingest/rows";
import {
  CUSTOMER_HEADERS,
  customerValues,
  LOAN_HEADERS,
  loanValues,
  REAL_LOANS,
  scratchFiles,
  temporaryCopies,
  writeWorkbook,
} from "../node/ingest-fixtures";
import { type ProducerCell, writeProducerXlsx } from "../node/producer-xlsx";

const pathOf = scratchFiles();

/** Reads `path` to the end, counting the rows yielded before it failed; returns the error. */
async function failureOf(
  path: string,
  kind: IngestKind,
): Promise<{ error: unknown; yielded: number }> {
  let yielded = 0;
  try {
    for await (const _row of readRows(path, kind)) yielded++;
  } catch (error) {
    return { error, yielded };
  }
  throw new Error(`${path} was read without error (${yielded} rows)`);
}

async function expectWorkbookError(path: string, kind: IngestKind, message: RegExp | string) {
  const { error, yielded } = await failureOf(path, kind);
  expect(error).toBeInstanceOf(WorkbookError);
  expect((error as Error).message).toMatch(message);
  expect(yielded).toBe(0);
}

describe("files refused as a whole", () => {
  it("names a missing column, before yielding any row", async () => {
    const headers = LOAN_HEADERS.filter((header) => header !== "Tenure");
    const rows = [1, 2, 3].map((id) => loanValues(id, id).filter((_, index) => index !== 3));
    const path = await writeWorkbook(pathOf("no-tenure.xlsx"), [{ rows: [headers, ...rows] }]);
    await expectWorkbookError(path, "loans", /missing required column "Tenure" \(tenure\)/);
  });

  it("names every missing column", async () => {
    const headers = CUSTOMER_HEADERS.slice(0, 4);
    const path = await writeWorkbook(pathOf("short-header.xlsx"), [{ rows: [headers] }]);
    const { error } = await failureOf(path, "customers");
    for (const column of ["Phone Number", "Monthly Salary", "Approved Limit"]) {
      expect((error as Error).message).toContain(`"${column}"`);
    }
  });

  it("refuses a workbook whose first sheet is empty", async () => {
    const path = await writeWorkbook(pathOf("empty-sheet.xlsx"), [{ rows: [] }]);
    await expectWorkbookError(path, "customers", /empty \(no header row\)/);
  });

  it("names an empty first sheet before the data, and says only the first sheet is read", async () => {
    const path = await writeWorkbook(pathOf("empty-sheet-first.xlsx"), [
      { name: "Sheet1", rows: [] },
      { name: "Customers", rows: [CUSTOMER_HEADERS, customerValues(1)] },
    ]);
    await expectWorkbookError(
      path,
      "customers",
      /: the first worksheet \("Sheet1"\) is empty \(no header row\): only the first worksheet is read, so delete the empty sheet or move the data into it$/,
    );
  });

  it("names a hidden first sheet whose header lacks the columns, as hidden", async () => {
    // The operator sees the "Customers" tab, with every column: before, the message named none.
    const path = await writeProducerXlsx(pathOf("hidden-sheet-first.xlsx"), {
      sheets: [
        { name: "Lookup", state: "hidden", rows: [["code", "label"]] },
        { name: "Customers", rows: [CUSTOMER_HEADERS, customerValues(1) as ProducerCell[]] },
      ],
    });
    await expectWorkbookError(
      path,
      "customers",
      /: the first worksheet \("Lookup", hidden\), header row 1: missing required columns "Customer ID"/,
    );
  });

  it.each([
    ["loans", "customers", LOAN_HEADERS],
    ["customers", "loans", CUSTOMER_HEADERS],
  ] as const)(
    "says when the %s workbook is given for --%s (swapped, or one file for both)",
    async (given, kind, headers) => {
      const path = await writeWorkbook(pathOf(`${given}-as-${kind}.xlsx`), [{ rows: [headers] }]);
      await expectWorkbookError(
        path,
        kind,
        new RegExp(
          `header row 1: missing required columns .*; these are the ${given} workbook's columns: was the ${given} file given for --${kind}\\?$`,
        ),
      );
    },
  );

  it("refuses a sheet that holds only blank cells", async () => {
    const path = await writeWorkbook(pathOf("blank-sheet.xlsx"), [{ rows: [[null, "  "], [" "]] }]);
    await expectWorkbookError(path, "customers", /no header row/);
  });

  it("refuses a text file renamed .xlsx", async () => {
    const path = pathOf("not-a-workbook.xlsx");
    await writeFile(path, "Customer ID,First Name\n1,Aaron\n");
    await expectWorkbookError(path, "customers", /not an xlsx workbook/);
  });

  it("refuses an empty file and a missing file", async () => {
    const empty = pathOf("empty.xlsx");
    await writeFile(empty, "");
    await expectWorkbookError(empty, "customers", /empty \(0 bytes\)/);
    await expectWorkbookError(pathOf("nowhere.xlsx"), "customers", /file not found/);
  });

  it("refuses the real loan file cut in half, before yielding any row", async () => {
    const bytes = await readFile(REAL_LOANS);
    const path = pathOf("truncated.xlsx");
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectWorkbookError(path, "loans", /truncated/);
  });

  it("fails with a WorkbookError, instead of exiting silently, on damaged compressed data", async () => {
    const bytes = Buffer.from(await readFile(REAL_LOANS));
    // Inside the worksheet's compressed data; the zip's directory at the end stays intact.
    for (let at = 2000; at < 2064; at++) bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    const path = pathOf("damaged.xlsx");
    await writeFile(path, bytes);
    const { error } = await failureOf(path, "loans");
    expect(error).toBeInstanceOf(WorkbookError);
    expect((error as Error).message).toMatch(/cannot be read as an xlsx workbook/);
  });

  it("can be iterated only once", async () => {
    const path = await writeWorkbook(pathOf("once.xlsx"), [{ rows: [CUSTOMER_HEADERS] }]);
    const rows = readRows(path, "customers");
    for await (const _row of rows) {
      // header only
    }
    await expect(async () => {
      for await (const _row of rows) {
        // second pass
      }
    }).rejects.toThrow(/read it once/);
  });
});

describe("stopping early", () => {
  it("leaves no temporary worksheet copy behind after a bad header or an early stop", async () => {
    const before = await temporaryCopies();
    const path = await writeWorkbook(pathOf("bad-header.xlsx"), [{ rows: [["Customer ID"], [1]] }]);
    await expectWorkbookError(path, "customers", /missing required columns/);
    let taken = 0;
    for await (const _loan of readRows(REAL_LOANS, "loans")) {
      if (++taken === 5) break;
    }
    expect(taken).toBe(5);
    // Copies from earlier tests may still be on their way out; none may be added.
    const added = (await temporaryCopies()).filter((name) => !before.includes(name));
    expect(added).toEqual([]);
  });
});

describe("rows rejected one by one", () => {
  const customerRows = [
    CUSTOMER_HEADERS,
    customerValues(1),
    customerValues(2, { 3: "abc" }),
    customerValues(3, { 4: true }),
    customerValues(4, { 5: { error: "#N/A" } }),
    customerValues(5, { 1: 42 }),
    customerValues(6, { 3: 17, 5: -5 }),
    customerValues(7, {
      1: { richText: [{ text: "Vik" }, { font: { bold: true }, text: "ram" }] },
      2: { text: "Shah", hyperlink: "https://example.com/shah" },
      4: "9000000007",
      5: 52_000.005,
      6: { formula: "F8*36", result: 1_872_000 },
    }),
    customerValues(8, { 0: null }),
    [null, "   "],
    customerValues(10),
  ];

  it("rejects each bad row with its row number, column and reason", async () => {
    const path = await writeWorkbook(pathOf("bad-customers.xlsx"), [{ rows: customerRows }]);
    const result = await readAllRows(path, "customers");
    const simple = result.rejected.map(({ file, row, column, reason }) => ({
      file,
      row,
      column,
      reason,
    }));
    expect(simple).toEqual([
      {
        file: "bad-customers.xlsx",
        row: 3,
        column: "Age",
        reason: 'expected a number, got text "abc"',
      },
      {
        file: "bad-customers.xlsx",
        row: 4,
        column: "Phone Number",
        reason: "expected a number, got a true/false value (TRUE)",
      },
      {
        file: "bad-customers.xlsx",
        row: 5,
        column: "Monthly Salary",
        reason: "cell holds the Excel error #N/A",
      },
      { file: "bad-customers.xlsx", row: 6, column: "First Name", reason: "expected text, got 42" },
      { file: "bad-customers.xlsx", row: 7, column: "Age", reason: "must be at least 18" },
      {
        file: "bad-customers.xlsx",
        row: 9,
        column: "Customer ID",
        reason: "must be a number, but it is empty",
      },
    ]);
    expect(result.rejected.find((r) => r.row === 7)?.problems).toEqual([
      { column: "Age", reason: "must be at least 18" },
      { column: "Monthly Salary", reason: "must be greater than 0" },
    ]);
  });

  it("still yields every valid row, normalising rich text, links, formulas and text numbers", async () => {
    const path = await writeWorkbook(pathOf("bad-customers-2.xlsx"), [{ rows: customerRows }]);
    const result = await readAllRows(path, "customers");
    expect(result.valid.map((c) => c.row)).toEqual([2, 8, 11]);
    expect(result.valid[1]).toEqual({
      row: 8,
      customer_id: 7,
      first_name: "Vikram",
      last_name: "Shah",
      age: 34,
      phone_number: 9_000_000_007,
      monthly_salary: 52_000.01,
      approved_limit: 1_872_000,
    });
    expect(result.rowsRead).toBe(9);
    expect(result.blankRowsSkipped).toBe(1);
  });

  it("checks loan dates, rates and tenures, and marks a reused Loan ID", async () => {
    const path = await writeWorkbook(pathOf("bad-loans.xlsx"), [
      {
        dateColumns: [8],
        rows: [
          LOAN_HEADERS,
          loanValues(1, 100),
          loanValues(1, 101, { 8: 44_000 }),
          loanValues(1, 102, { 7: "2023-02-30" }),
          loanValues(2, 103, { 7: new Date(Date.UTC(2023, 2, 15)), 8: "2025-03-15" }),
          loanValues(2, 104, { 2: 250_000.005, 4: 12.345 }),
          loanValues(2, 105, { 3: 12.5 }),
          loanValues(3, 100),
        ],
      },
    ]);
    const result = await readAllRows(path, "loans");
    expect(result.rejected.map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([
      { row: 3, column: "End Date", reason: "must not be before the start date" },
      {
        row: 4,
        column: "Date of Approval",
        reason: 'expected a date (YYYY-MM-DD), got text "2023-02-30"',
      },
      { row: 7, column: "Tenure", reason: "must be a whole number of months" },
    ]);
    expect(result.valid.map((l) => [l.row, l.start_date, l.end_date])).toEqual([
      [2, "2023-03-15", "2025-03-15"],
      [5, "2023-03-15", "2025-03-15"],
      [6, "2023-03-15", "2025-03-15"],
      [8, "2023-03-15", "2025-03-15"],
    ]);
    expect(result.valid[2]).toMatchObject({ loan_amount: 250_000.01, interest_rate: 12.35 });
    expect(result.valid[3]).toMatchObject({ loan_id: 100, customer_id: 3, remap: true });
    expect(result.remapped).toEqual([
      { row: 8, customer_id: 3, source_loan_id: 100, first_row: 2 },
    ]);
  });

  it("reports rejections as they happen and caps how many it keeps", async () => {
    const rows = [CUSTOMER_HEADERS, ...[1, 2, 3, 4, 5].map((id) => customerValues(id, { 3: 200 }))];
    const path = await writeWorkbook(pathOf("many-bad.xlsx"), [{ rows }]);
    const seen: number[] = [];
    const reading = readRows(path, "customers", {
      maxStoredRejections: 2,
      onRejection: (rejection) => seen.push(rejection.row),
    });
    for await (const _row of reading) {
      // all rows are bad
    }
    expect(seen).toEqual([2, 3, 4, 5, 6]);
    expect(reading.rejectedCount).toBe(5);
    expect(reading.rejected.map((r) => r.row)).toEqual([2, 3]);
  });
});

describe("parts exceljs's streaming reader loses", () => {
  interface ZipEntry {
    autodrain(): void;
  }
  // exceljs's own step that reads xl/workbook.xml (the sheet list), which its writer puts last.
  const reader = ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as {
    _parseWorkbook(entry: ZipEntry): Promise<void>;
  };
  const parseWorkbook = reader._parseWorkbook;

  /** The first `lost` reads drop the sheet list, as exceljs does when it loses the zip's tail. */
  function losingTheSheetList(lost: number) {
    let calls = 0;
    const spy = vi.spyOn(reader, "_parseWorkbook").mockImplementation(function (
      this: unknown,
      entry,
    ) {
      calls++;
      if (calls > lost) return parseWorkbook.call(this, entry);
      entry.autodrain();
      return Promise.resolve();
    });
    return { calls: () => calls, restore: () => spy.mockRestore() };
  }

  it("reads the file again, and every row arrives once", async () => {
    const path = await writeWorkbook(pathOf("tail-lost-once.xlsx"), [
      { rows: [CUSTOMER_HEADERS, customerValues(1), customerValues(2)] },
    ]);
    const losing = losingTheSheetList(1);
    try {
      const result = await readAllRows(path, "customers");
      expect(result.valid.map((row) => row.customer_id)).toEqual([1, 2]);
      expect(result.rowsRead).toBe(2);
      expect(losing.calls()).toBe(2);
    } finally {
      losing.restore();
    }
  });

  it("gives up with a WorkbookError when every read loses it", async () => {
    const path = await writeWorkbook(pathOf("tail-lost-always.xlsx"), [
      { rows: [CUSTOMER_HEADERS, customerValues(1)] },
    ]);
    const losing = losingTheSheetList(Number.POSITIVE_INFINITY);
    try {
      await expectWorkbookError(path, "customers", /cannot be read as an xlsx workbook/);
      expect(losing.calls()).toBe(3);
    } finally {
      losing.restore();
    }
  });
});
