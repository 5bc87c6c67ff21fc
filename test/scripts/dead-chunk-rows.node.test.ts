import { readFile } from "node:fs/promises";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { ROWS_PER_CHUNK } from "../../src/ingest/messages";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  printedSummary,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * Which rows of which workbook a dead chunk carried. Loans are regrouped by customer before they
 * are chunked, so a dead chunk is no block of the file: the report gave only its seq, kind and
 * row count, and the operator could not tell which rows had not landed. Each dead chunk now
 * names its file and its worksheet rows as ranges ("12-40, 77, 90-91"), and the summary shows
 * the first of them. The Node server in-process over a real libSQL file, real workbooks, the real
 * script; chunks die on a trigger of that database.
 */

const TOKEN = "dead-chunk-rows-test-token";
const scratch = scratchFiles();
const { ingest } = ingestServerPerFile(TOKEN, scratch);

async function refuse(trigger: string): Promise<void> {
  const database = createClient({ url: `file:${scratch("credit.db")}` });
  try {
    await database.execute(trigger);
  } finally {
    database.close();
  }
}

async function storedLoanIds(): Promise<Set<number>> {
  const database = createClient({ url: `file:${scratch("credit.db")}` });
  try {
    const result = await database.execute("SELECT source_loan_id FROM loans");
    return new Set(result.rows.map((row) => Number(row.source_loan_id)));
  } finally {
    database.close();
  }
}

/** Every row number "12-40, 77" names, in order. */
function rowsOf(ranges: string): number[] {
  return ranges.split(", ").flatMap((range) => {
    const [first, last = first] = range.split("-").map(Number) as [number, number?];
    return Array.from({ length: (last as number) - first + 1 }, (_, index) => first + index);
  });
}

describe("a dead chunk's rows", () => {
  it("a customers chunk names its file and its block of rows", async () => {
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers-1.xlsx"), loans: scratch("loans-1.xlsx") },
      {
        customers: Array.from({ length: 3 * ROWS_PER_CHUNK }, (_, index) =>
          customerValues(index + 1),
        ),
        loans: [],
      },
    );
    // The consumer stores a batch of chunks together: refused, every chunk of it dies.
    await refuse(
      "CREATE TRIGGER test_refuse_customers BEFORE INSERT ON customers BEGIN SELECT RAISE(ABORT, 'test: refused'); END",
    );
    const reportFile = scratch("report-1.json");
    try {
      const report = await ingest(files, { reportFile });
      expect(report.customers).toMatchObject({ dead: 3 * ROWS_PER_CHUNK });
      const written = JSON.parse(await readFile(reportFile, "utf8"));
      // Worksheet rows from 2 (the header is row 1), 500 to a chunk, in file order.
      expect(written.dead_chunks).toEqual(
        [0, 1, 2].map((seq) =>
          expect.objectContaining({
            seq,
            kind: "customers",
            rows: ROWS_PER_CHUNK,
            file: "customers-1.xlsx",
            file_rows: `${seq * ROWS_PER_CHUNK + 2}-${(seq + 1) * ROWS_PER_CHUNK + 1}`,
          }),
        ),
      );
      const output = printedSummary(report);
      expect(output).toContain(
        "\n  dead chunk 1 (customers, 500 rows): gave up after repeated failures\n    rows of customers-1.xlsx: 502-1001\n",
      );
    } finally {
      await refuse("DROP TRIGGER test_refuse_customers");
    }
  }, 120_000);

  it("loan chunks regrouped by customer name exactly the rows that did not land", async () => {
    const customerCount = 40;
    const loanCount = 6 * ROWS_PER_CHUNK;
    // Customers in an order unlike the file's: each chunk's rows are scattered over the file.
    const loans = Array.from({ length: loanCount }, (_, index) =>
      loanValues(((index * 7) % customerCount) + 1, 100_000 + index),
    );
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers-2.xlsx"), loans: scratch("loans-2.xlsx") },
      {
        customers: Array.from({ length: customerCount }, (_, index) => customerValues(index + 1)),
        loans,
      },
    );
    await refuse(
      "CREATE TRIGGER test_refuse_loans BEFORE INSERT ON loans WHEN NEW.customer_id IN (1, 2, 3, 40) BEGIN SELECT RAISE(ABORT, 'test: refused'); END",
    );
    const reportFile = scratch("report-2.json");
    const report = await ingest(files, { reportFile });
    expect(report.complete).toBe(false);
    expect(report.loans.dead).toBeGreaterThan(0);
    expect(report.loans.landed).toBeGreaterThan(0);

    const written = JSON.parse(await readFile(reportFile, "utf8")) as typeof report;
    const stored = await storedLoanIds();
    // Worksheet row r holds loans[r - 2]: Loan ID 100000 + r - 2.
    const notLanded = loans
      .map((_, index) => index + 2)
      .filter((row) => !stored.has(100_000 + row - 2));
    const deadRows: number[] = [];
    for (const chunk of written.dead_chunks) {
      expect(chunk).toMatchObject({ kind: "loans", file: "loans-2.xlsx" });
      expect(chunk.file_rows).toMatch(/^\d+(-\d+)?(, \d+(-\d+)?)*$/);
      const rows = rowsOf(chunk.file_rows as string);
      expect(rows).toHaveLength(chunk.rows);
      // Ascending, and a range only where rows follow each other.
      expect([...rows].sort((a, b) => a - b)).toEqual(rows);
      deadRows.push(...rows);
    }
    expect(deadRows.sort((a, b) => a - b)).toEqual(notLanded);
    expect(deadRows.length).toBe(report.loans.dead);

    // The summary: a short line under each dead chunk, its first ranges and how many it leaves out.
    const output = printedSummary(report);
    const lines = output.split("\n");
    const rowLines = lines.filter((line) => line.startsWith("    rows of loans-2.xlsx: "));
    expect(rowLines).toHaveLength(written.dead_chunks.length);
    for (const line of rowLines) {
      expect(line.length).toBeLessThanOrEqual(100);
      expect(line).toMatch(
        /^ {4}rows of loans-2\.xlsx: \d+(-\d+)?(, \d+(-\d+)?)*(, … \d+ more ranges?)?$/,
      );
    }
    expect(rowLines.some((line) => line.includes(" more"))).toBe(true);
  }, 120_000);
});
