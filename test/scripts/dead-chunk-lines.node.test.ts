import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { ROWS_PER_CHUNK } from "../../src/ingest/messages";
import {
  customerValues,
  ingestServerPerFile,
  printedSummary,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * The dead chunks in the summary `npm run ingest` prints. A database that refuses every write for
 * longer than the retries (a full D1, a trigger) kills every chunk: the summary printed one line
 * per chunk, 2,000 for a million loans, above the counts it ends with, where its rejected rows stop
 * at 20. The reason on each line is the server's own text, never the database's error (which
 * could quote a row): here the database's error names a phone number, and the line does not. The
 * Node server in-process over a real libSQL file, real workbooks, the real script.
 */

const TOKEN = "dead-chunk-lines-test-token";
const scratch = scratchFiles();
const { ingest } = ingestServerPerFile(TOKEN, scratch);
const SHOWN = 20;

describe("the ingest summary's dead chunks", () => {
  it("lists the first 20 with the server's reason, and counts the rest", async () => {
    const chunks = SHOWN + 2;
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans.xlsx") },
      {
        customers: Array.from({ length: chunks * ROWS_PER_CHUNK }, (_, index) =>
          customerValues(index + 1),
        ),
        loans: [],
      },
    );
    const database = createClient({ url: `file:${scratch("credit.db")}` });
    try {
      await database.execute(
        "CREATE TRIGGER test_refuse_customers BEFORE INSERT ON customers BEGIN SELECT RAISE(ABORT, 'test: refused phone number 9876543210'); END",
      );
    } finally {
      database.close();
    }
    const report = await ingest(files);
    expect(report.customers).toMatchObject({ dead: chunks * ROWS_PER_CHUNK, landed: 0 });
    expect(report.dead_chunks).toHaveLength(chunks);

    const output = printedSummary(report);
    const lines = output.split("\n").filter((line) => line.startsWith("  dead chunk "));
    expect(lines).toHaveLength(SHOWN);
    for (const line of lines) {
      expect(line).toMatch(
        /^ {2}dead chunk \d+ \(customers, 500 rows\): gave up after repeated failures$/,
      );
    }
    expect(output).toContain(
      `\n  … ${chunks - SHOWN} more dead chunks (${(chunks - SHOWN) * ROWS_PER_CHUNK} rows) in the report\n`,
    );
    expect(output).not.toContain("9876543210");
  }, 120_000);
});
