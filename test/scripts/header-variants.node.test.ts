/*
 * The same rows under differently written headers must parse to the same result: header matching
 * ignores case, whitespace and underscores, accepts snake_case names, finds reordered columns and
 * ignores columns it does not know. Only the first worksheet is read.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CUSTOMER_FIELDS, LOAN_FIELDS } from "../../scripts/lib/headers";
import { readAllRows } from "../../scripts/lib/read-all-rows";
import {
  CUSTOMER_HEADERS,
  customerValues,
  LOAN_HEADERS,
  loanValues,
  scratchFiles,
  writeWorkbook,
} from "../node/ingest-fixtures";

const pathOf = scratchFiles();

const customerData = [1, 2, 3].map((id) => customerValues(id));
const loanData = [loanValues(1, 10), loanValues(2, 11), loanValues(3, 10)];

/** Reorders every row (header included) by taking the columns in `order` (0-based indexes). */
function reorder(rows: unknown[][], order: number[]): unknown[][] {
  return rows.map((row) => order.map((index) => row[index]));
}

describe("customer headers", () => {
  let baseline: unknown[];
  beforeAll(async () => {
    const path = await writeWorkbook(pathOf("customers.xlsx"), [
      { rows: [CUSTOMER_HEADERS, ...customerData] },
    ]);
    baseline = (await readAllRows(path, "customers")).valid;
    expect(baseline).toHaveLength(3);
  });

  it("accepts snake_case headers", async () => {
    const headers = [...CUSTOMER_FIELDS];
    const path = await writeWorkbook(pathOf("snake.xlsx"), [{ rows: [headers, ...customerData] }]);
    expect((await readAllRows(path, "customers")).valid).toEqual(baseline);
  });

  it("accepts odd case and spacing, reordered columns and extra columns", async () => {
    const headers = [
      "  CUSTOMER   id",
      "first NAME ",
      "Last\tName",
      "AGE",
      "phone  number",
      "Monthly_Salary",
      "approved limit",
    ];
    const withExtra = [[...headers, "Notes"], ...customerData.map((row) => [...row, "call back"])];
    const path = await writeWorkbook(pathOf("odd.xlsx"), [
      { rows: reorder(withExtra, [7, 6, 2, 0, 4, 1, 5, 3]) },
    ]);
    expect((await readAllRows(path, "customers")).valid).toEqual(baseline);
  });

  it("reads only the first worksheet", async () => {
    const path = await writeWorkbook(pathOf("two-sheets.xlsx"), [
      { name: "Customers", rows: [CUSTOMER_HEADERS, ...customerData] },
      {
        name: "Notes",
        rows: [
          ["not", "customers"],
          ["at", "all"],
        ],
      },
    ]);
    expect((await readAllRows(path, "customers")).valid).toEqual(baseline);
  });
});

describe("loan headers", () => {
  let baseline: unknown[];
  beforeAll(async () => {
    const path = await writeWorkbook(pathOf("loans.xlsx"), [{ rows: [LOAN_HEADERS, ...loanData] }]);
    baseline = (await readAllRows(path, "loans")).valid;
    expect(baseline).toHaveLength(3);
  });

  it.each([["start_date"], ["date_of_approval"]])(
    "accepts snake_case headers with %s",
    async (start) => {
      const headers = LOAN_FIELDS.map((field) => (field === "start_date" ? start : field));
      const path = await writeWorkbook(pathOf(`snake-${start}.xlsx`), [
        { rows: [headers, ...loanData] },
      ]);
      expect((await readAllRows(path, "loans")).valid).toEqual(baseline);
    },
  );

  it("accepts reordered columns in odd case", async () => {
    const headers = LOAN_HEADERS.map((header) => header.toUpperCase());
    const path = await writeWorkbook(pathOf("loans-reordered.xlsx"), [
      { rows: reorder([headers, ...loanData], [8, 7, 6, 5, 4, 3, 2, 1, 0]) },
    ]);
    expect((await readAllRows(path, "loans")).valid).toEqual(baseline);
  });
});
