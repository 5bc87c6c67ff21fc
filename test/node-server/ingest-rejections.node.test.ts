import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runIngest } from "../../scripts/lib/ingest-run";
import { type RunningServer, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import {
  customerValues,
  loanValues,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * Row rejections on the Node server, through the script, the endpoint, the durable queue and the
 * consumer: one bad loan row costs only itself, never the rest of its chunk. The script refuses
 * rows against the shared row schema before sending; the consumer refuses unknown customers.
 */

const TOKEN = "ingest-rejections-test-token";
const scratch = scratchFiles();
let server: RunningServer;

beforeAll(async () => {
  server = await startServer(
    settingsFromEnv({
      PORT: "0",
      DATABASE_URL: `file:${scratch("credit.db")}`,
      INGEST_TOKEN: TOKEN,
      INGEST_RETRY_DELAY_SECONDS: "0",
    }),
  );
});
afterAll(async () => {
  await server?.close();
});

describe("loan rows rejected on the Node server", () => {
  it("rejects the row of an unknown customer, more EMIs paid than the tenure, a schedule past 9999-12-31 and an EMI of 0.00; the rest lands", async () => {
    const { customers, loans } = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans.xlsx") },
      {
        customers: [customerValues(51), customerValues(52)],
        loans: [
          loanValues(51, 95_001),
          loanValues(59, 95_002), // customer 59 is in no workbook
          loanValues(52, 95_003),
          loanValues(52, 95_004, { 3: 24, 6: 25 }), // 25 EMIs paid on a 24-month loan
          // 600 months from 9999-12-31: its schedule would end on 10049-12-31.
          loanValues(51, 95_005, { 3: 600, 6: 0, 7: "9999-12-31", 8: "9999-12-31" }),
          // ₹0.01 over 600 months at 0 %: an EMI of 0.00, which the API refuses.
          loanValues(52, 95_006, { 2: 0.01, 3: 600, 4: 0 }),
        ],
      },
    );
    const reportFile = scratch("report.json");
    const report = await runIngest({
      url: server.url,
      token: TOKEN,
      customersFile: customers,
      loansFile: loans,
      reportFile,
      log: () => undefined,
    });

    expect(report.complete).toBe(false);
    expect(report.loans).toMatchObject({ rows_read: 6, sent: 3, landed: 2, rejected: 4, dead: 0 });
    expect(report.dead_chunks).toEqual([]);
    expect(report.rejected_rows).toEqual([
      {
        file: "loans.xlsx",
        row: 5,
        column: "EMIs paid on Time",
        reason: "must not exceed the tenure",
      },
      {
        file: "loans.xlsx",
        row: 6,
        column: "Date of Approval",
        reason: "must leave room for the tenure: the last instalment would fall after 9999-12-31",
      },
      {
        file: "loans.xlsx",
        row: 7,
        column: "Loan Amount",
        reason: "is too small for the tenure: the monthly instalment would round to 0.00",
      },
      {
        file: "loans.xlsx",
        row: 3,
        column: "customer_id",
        reason: "UNKNOWN_CUSTOMER",
        customer_id: 59,
      },
    ]);
    expect(JSON.parse(await readFile(reportFile, "utf8"))).toEqual(report);
    for (const loanId of [95_001, 95_003]) {
      expect((await fetch(`${server.url}/view-loan/${loanId}`)).status).toBe(200);
    }
    for (const loanId of [95_002, 95_005, 95_006]) {
      expect((await fetch(`${server.url}/view-loan/${loanId}`)).status).toBe(404);
    }
  });
});
