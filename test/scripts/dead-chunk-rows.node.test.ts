import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { DeadRowsError, deadRowsOf } from "../../scripts/lib/dead-rows";
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
 * the first of them; `--resend-dead REPORT` sends only those rows again. The Node server
 * in-process over a real libSQL file, real workbooks, the real script; chunks die on a trigger of
 * that database.
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

  it("--resend-dead sends only the dead chunks' rows again, and they land", async () => {
    const customerCount = 40;
    const loanCount = 3 * ROWS_PER_CHUNK;
    const loans = Array.from({ length: loanCount }, (_, index) =>
      loanValues(1_000 + ((index * 7) % customerCount) + 1, 200_000 + index),
    );
    // The last row repeats row 5's Loan ID (customer 1022's) for customer 1001: held back, sent
    // last under a new id, in a chunk of its own that dies with its customer's loans.
    loans.push(loanValues(1_001, 200_003));
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers-3.xlsx"), loans: scratch("loans-3.xlsx") },
      {
        customers: Array.from({ length: customerCount }, (_, index) =>
          customerValues(1_000 + index + 1),
        ),
        loans,
      },
    );
    await refuse(
      "CREATE TRIGGER test_refuse_1001 BEFORE INSERT ON loans WHEN NEW.customer_id IN (1001, 1002) BEGIN SELECT RAISE(ABORT, 'test: refused'); END",
    );
    const firstReport = scratch("report-3.json");
    const first = await ingest(files, { reportFile: firstReport });
    expect(first.complete).toBe(false);
    expect(first.loans.dead).toBeGreaterThan(0);
    expect(first.dead_chunks.some((chunk) => chunk.file_rows === `${loanCount + 2}`)).toBe(true);

    await refuse("DROP TRIGGER test_refuse_1001");
    const resendDead = await deadRowsOf(firstReport, files);
    expect(resendDead.loans.size).toBe(first.loans.dead);
    expect(resendDead.customers.size).toBe(0);
    const again = await ingest(files, { reportFile: scratch("report-4.json"), resendDead });
    expect(again.customers).toMatchObject({ rows_read: customerCount, sent: 0, to_send_again: 0 });
    expect(again.loans).toMatchObject({
      rows_read: loanCount + 1,
      to_send_again: first.loans.dead,
      sent: first.loans.dead,
      landed: first.loans.dead,
      rejected: 0,
      dead: 0,
    });
    expect(again.complete).toBe(true);
    expect(again.resent_dead_of).toBe(firstReport);
    // The workbooks' digests, checked against the first report's, are the ones this one gives.
    expect(resendDead.digests).toEqual({
      customers: first.customers.sha256,
      loans: first.loans.sha256,
    });
    expect(again.customers.sha256).toBe(first.customers.sha256);
    expect(again.loans.sha256).toBe(first.loans.sha256);
    // Only the repeated Loan ID sent again is listed, with the id it landed under.
    expect(again.remapped_loans).toEqual([
      expect.objectContaining({ row: loanCount + 2, source_loan_id: 200_003, first_row: 5 }),
    ]);
    expect(again.remapped_loans[0]?.loan_id).not.toBeNull();
    const stored = await storedLoanIds();
    for (let index = 0; index < loanCount; index += 1)
      expect(stored.has(200_000 + index)).toBe(true);
    const output = printedSummary(again);
    expect(output).toContain(`\n  sending again the dead rows of ${firstReport}\n`);
    expect(output).toContain(`read ${loanCount + 1} (dead rows to send again ${first.loans.dead})`);
    expect(output).toContain("\n  every dead row landed");
  }, 120_000);

  it("--resend-dead refuses a report it cannot use, saying why", async () => {
    // Any bytes do: only their SHA-256 is read (test/scripts/workbook-digest.node.test.ts).
    const files = { customers: scratch("customers-5.xlsx"), loans: scratch("loans-5.xlsx") };
    await writeFile(files.customers, "");
    await writeFile(files.loans, "");
    const write = async (name: string, report: unknown) => {
      await writeFile(scratch(name), JSON.stringify(report));
      return scratch(name);
    };
    const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const base = {
      customers: { file: "customers-5.xlsx", sha256: empty },
      loans: { file: "loans-5.xlsx", sha256: empty },
      dead_chunks: [{ seq: 3, kind: "loans", rows: 3, file: "loans-5.xlsx", file_rows: "7-8, 12" }],
    };
    const refusal = async (report: string) => {
      const error = await deadRowsOf(report, files).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DeadRowsError);
      return (error as Error).message;
    };
    const good = await deadRowsOf(await write("good.json", base), files);
    expect([6, 7, 8, 9, 11, 12, 13].map((row) => good.loans.has(row))).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
      false,
    ]);
    expect(await refusal(scratch("missing.json"))).toMatch(/it cannot be read \(ENOENT\)/);
    expect(
      await refusal(await write("other.json", { ...base, loans: { file: "x.xlsx" } })),
    ).toMatch(/it is the report of loans workbook x\.xlsx, not loans-5\.xlsx/);
    expect(await refusal(await write("failed.json", { ...base, error: "interrupted" }))).toMatch(
      /that run stopped before the end/,
    );
    const old = { ...base, dead_chunks: [{ seq: 3, kind: "loans", rows: 3 }] };
    expect(await refusal(await write("old.json", old))).toMatch(
      /dead chunk 3 names no rows \(a report written before 2026-12-06\)/,
    );
    expect(await refusal(await write("not.json", [1, 2]))).toMatch(/it is not an ingest report/);
  });

  it("npm run ingest -- --resend-dead: refuses before sending, or has nothing to send", async () => {
    const run = (report: string) =>
      promisify(execFile)(
        process.execPath,
        [
          "--import",
          "tsx",
          "scripts/ingest.ts",
          "--url",
          "http://127.0.0.1:9",
          "--token",
          "t",
          "--customers",
          scratch("customers-6.xlsx"),
          "--loans",
          scratch("loans-6.xlsx"),
          "--resend-dead",
          report,
        ],
        { cwd: fileURLToPath(new URL("../..", import.meta.url)) },
      ).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const report = (loans: string, dead: unknown[]) =>
      JSON.stringify({
        customers: { file: "customers-6.xlsx" },
        loans: { file: loans },
        dead_chunks: dead,
      });
    await writeFile(scratch("other-6.json"), report("loans-7.xlsx", []));
    const other = await run(scratch("other-6.json"));
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      `ingest failed: cannot send again the dead rows of ${scratch("other-6.json")}: it is the report of loans workbook loans-7.xlsx, not loans-6.xlsx`,
    );
    await writeFile(scratch("none-6.json"), report("loans-6.xlsx", []));
    const none = await run(scratch("none-6.json"));
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(
      `no dead chunks in ${scratch("none-6.json")}: nothing to send again`,
    );
  }, 60_000);
});
