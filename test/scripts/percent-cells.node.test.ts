/*
 * A rate typed "8.2%" in Excel (or a column formatted as a percentage) is stored as 0.082 and
 * shown as 8.20%: read as the number it holds, the loan landed at 0.08 % with nothing rejected.
 * Such a cell costs its row, naming the column and what Excel shows.
 */
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { readAllRows } from "../../scripts/lib/read-all-rows";
import { REAL_LOANS, scratchFiles } from "../node/ingest-fixtures";

const pathOf = scratchFiles();

/** A copy of the lender's loans workbook with `edit` applied to its first worksheet. */
async function editedLoans(name: string, edit: (sheet: ExcelJS.Worksheet) => void) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(REAL_LOANS);
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error("the lender's loans workbook has no worksheet");
  edit(sheet);
  const path = pathOf(name);
  await workbook.xlsx.writeFile(path);
  return path;
}

describe("cells formatted as a percentage", () => {
  it("rejects the row of a number Excel shows times 100, naming the column; every other row lands", async () => {
    const path = await editedLoans("percent-rates.xlsx", (sheet) => {
      // Typed "8.2%": Excel stores 0.082 under its built-in 0.00% format.
      Object.assign(sheet.getCell("E2"), { value: 0.082, numFmt: "0.00%" });
      // A column formatted as 0% before the rate was typed, and a rate computed by a formula.
      Object.assign(sheet.getCell("E3"), { value: 0.1346, numFmt: "0%" });
      Object.assign(sheet.getCell("E4"), {
        value: { formula: "0.05+0.0131", result: 0.0631 },
        numFmt: "0.0#%",
      });
    });
    const result = await readAllRows(path, "loans");
    const rejected = result.rejected.map(({ row, column, reason }) => ({ row, column, reason }));
    expect(rejected).toEqual([
      {
        row: 2,
        column: "Interest Rate",
        reason:
          "the cell is formatted as a percentage: Excel shows 8.2% for the 0.082 it holds; type the number as it is meant (8.2) in a cell not formatted as a percentage",
      },
      {
        row: 3,
        column: "Interest Rate",
        reason:
          "the cell is formatted as a percentage: Excel shows 13.46% for the 0.1346 it holds; type the number as it is meant (13.46) in a cell not formatted as a percentage",
      },
      {
        row: 4,
        column: "Interest Rate",
        reason:
          "the cell is formatted as a percentage: Excel shows 6.31% for the 0.0631 it holds; type the number as it is meant (6.31) in a cell not formatted as a percentage",
      },
    ]);
    expect(result.valid).toHaveLength(782 - 3);
    expect(result.valid.some((row) => row.interest_rate < 1)).toBe(false);
  });

  it("reads a format that only writes a % sign, and percentage-formatted text or empty cells, as before", async () => {
    const path = await editedLoans("percent-sign.xlsx", (sheet) => {
      // A literal "%" shows the number as it is: 8.2 is shown 8.2%.
      Object.assign(sheet.getCell("E2"), { value: 8.2, numFmt: '0.0"%"' });
      Object.assign(sheet.getCell("E3"), { value: 13.46, numFmt: "0.00\\%" });
      // Styled rows under the data, empty: blank, as any.
      for (let row = 790; row < 800; row++) sheet.getCell(`E${row}`).numFmt = "0.00%";
    });
    const result = await readAllRows(path, "loans");
    expect(result.rejected).toEqual([]);
    expect(result.valid).toHaveLength(782);
    expect(result.valid.find((row) => row.row === 2)?.interest_rate).toBe(8.2);
    expect(result.valid.find((row) => row.row === 3)?.interest_rate).toBe(13.46);
  });
});
