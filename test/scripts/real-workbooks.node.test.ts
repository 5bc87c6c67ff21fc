/*
 * The lender's real workbooks, read by the streaming reader and checked against the facts
 * docs/product.md#the-lenders-data-files states and against exceljs's ordinary in-memory reader, an independent path to the cells.
 */
import ExcelJS from "exceljs";
import { beforeAll, describe, expect, it } from "vitest";
import { decimalPlaces } from "../../scripts/lib/cells";
import { readAllRows, type WorkbookContents } from "../../scripts/lib/read-all-rows";
import type { CustomerRow, LoanRow } from "../../src/ingest/rows";
import { REAL_CUSTOMERS, REAL_LOANS } from "../node/ingest-fixtures";

let customers: WorkbookContents<CustomerRow>;
let loans: WorkbookContents<LoanRow>;

/** Data rows as exceljs's in-memory reader sees them: [row number, cell values by column]. */
async function inMemoryRows(path: string): Promise<[number, unknown[]][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const rows: [number, unknown[]][] = [];
  workbook.worksheets[0]?.eachRow((row, number) => {
    if (number > 1) rows.push([number, row.values as unknown[]]);
  });
  return rows;
}

beforeAll(async () => {
  [customers, loans] = await Promise.all([
    readAllRows(REAL_CUSTOMERS, "customers"),
    readAllRows(REAL_LOANS, "loans"),
  ]);
});

describe("customer_data.xlsx", () => {
  it("yields 300 valid customers and rejects none", () => {
    expect(customers.valid).toHaveLength(300);
    expect(customers.rowsRead).toBe(300);
    expect(customers.rejected).toEqual([]);
  });

  it("skips the styled empty row 304 silently", () => {
    expect(customers.blankRowsSkipped).toBe(1);
    expect(customers.valid.map((c) => c.row)).not.toContain(304);
  });

  it("keeps 10-digit phone numbers beyond 2^31 intact and unique", () => {
    const phones = customers.valid.map((c) => c.phone_number);
    expect(phones.every((phone) => phone > 2 ** 31 && String(phone).length === 10)).toBe(true);
    expect(new Set(phones).size).toBe(300);
  });

  it("matches every cell exceljs's in-memory reader sees", async () => {
    const expected = (await inMemoryRows(REAL_CUSTOMERS)).map(([row, v]) => ({
      row,
      customer_id: v[1],
      first_name: String(v[2]).trim(),
      last_name: String(v[3]).trim(),
      age: v[4],
      phone_number: v[5],
      monthly_salary: v[6],
      approved_limit: v[7],
    }));
    expect(customers.valid).toEqual(expected);
  });
});

describe("loan_data.xlsx", () => {
  it("yields all 782 loans and rejects none", () => {
    expect(loans.valid).toHaveLength(782);
    expect(loans.rowsRead).toBe(782);
    expect(loans.rejected).toEqual([]);
  });

  it("turns row 2's serials 42803 and 46730 into 2017-03-09 and 2027-12-09", () => {
    const first = loans.valid[0];
    expect(first).toMatchObject({ row: 2, customer_id: 14, loan_id: 5930 });
    expect(first?.start_date).toBe("2017-03-09");
    expect(first?.end_date).toBe("2027-12-09");
  });

  it("removes the float noise from interest rates (8.1999999999999993 → 8.2)", () => {
    expect(loans.valid[0]?.interest_rate).toBe(8.2);
    for (const loan of loans.valid)
      expect(decimalPlaces(loan.interest_rate)).toBeLessThanOrEqual(2);
  });

  it("finds 753 distinct Loan IDs and marks the 29 later duplicates for remapping", () => {
    expect(new Set(loans.valid.map((l) => l.loan_id)).size).toBe(753);
    const marked = loans.valid.filter((l) => l.remap === true);
    expect(marked).toHaveLength(29);
    expect(loans.remapped).toHaveLength(29);
    expect(loans.remapped.map((r) => r.row)).toEqual(marked.map((l) => l.row));
  });

  it("remaps only rows whose Loan ID an earlier row, of another customer, kept", () => {
    const byRow = new Map(loans.valid.map((l) => [l.row, l]));
    for (const entry of loans.remapped) {
      const first = byRow.get(entry.first_row);
      expect(first?.loan_id).toBe(entry.source_loan_id);
      expect(first?.remap).toBeUndefined();
      expect(first?.customer_id).not.toBe(entry.customer_id);
      expect(entry.first_row).toBeLessThan(entry.row);
    }
  });

  it("references only customers of the customer file; 17 customers have no loans", () => {
    const customerIds = new Set(customers.valid.map((c) => c.customer_id));
    expect(loans.valid.every((l) => customerIds.has(l.customer_id))).toBe(true);
    const borrowers = new Set(loans.valid.map((l) => l.customer_id));
    expect([...customerIds].filter((id) => !borrowers.has(id))).toHaveLength(17);
  });

  it("matches every cell exceljs's in-memory reader sees (dates as UTC midnight)", async () => {
    const isoDay = (value: unknown) => (value as Date).toISOString().slice(0, 10);
    const rows = await inMemoryRows(REAL_LOANS);
    expect(rows).toHaveLength(loans.valid.length);
    rows.forEach(([row, v], index) => {
      const loan = loans.valid[index];
      expect(loan).toMatchObject({
        row,
        customer_id: v[1],
        loan_id: v[2],
        loan_amount: v[3],
        tenure: v[4],
        monthly_payment: v[6],
        emis_paid_on_time: v[7],
        start_date: isoDay(v[8]),
        end_date: isoDay(v[9]),
      });
      expect(Math.abs((loan?.interest_rate ?? 0) - (v[5] as number))).toBeLessThan(1e-9);
    });
  });
});
