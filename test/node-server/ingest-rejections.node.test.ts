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
 * consumer: one bad loan row costs only itself, never the rest of its chunk.
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
  it("rejects the row of an unknown customer and the row with more EMIs paid than its tenure; the rest lands", async () => {
    const { customers, loans } = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans.xlsx") },
      {
        customers: [customerValues(51), customerValues(52)],
        loans: [
          loanValues(51, 95_001),
          loanValues(59, 95_002), // customer 59 is in no workbook
          loanValues(52, 95_003),
          loanValues(52, 95_004, { 3: 24, 6: 25 }), // 25 EMIs paid on a 24-month loan
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
    expect(report.loans).toMatchObject({ rows_read: 4, sent: 3, landed: 2, rejected: 2, dead: 0 });
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
    expect((await fetch(`${server.url}/view-loan/95002`)).status).toBe(404);
  });
});
