import { readFile } from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";
import type { runIngest } from "../../scripts/lib/ingest-run";
import {
  CUSTOMER_HEADERS,
  customerValues,
  ingestServerPerFile,
  LOAN_HEADERS,
  loanValues,
  printedSummary,
  scratchFiles,
  writeLenderWorkbooks,
  writeWorkbook,
} from "../node/ingest-fixtures";
import { reportedUnknownCustomer } from "../support/ingest";

/*
 * Row rejections on the Node server, through the script, the endpoint, the durable queue and the
 * consumer: one bad loan row costs only itself, never the rest of its chunk. The script refuses
 * rows against the shared row schema before sending; the consumer refuses unknown customers.
 */

const TOKEN = "ingest-rejections-test-token";
const scratch = scratchFiles();
const { url: serverUrl, ingest } = ingestServerPerFile(TOKEN, scratch);

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
    const report = await ingest({ customers, loans }, { reportFile });

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
      { file: "loans.xlsx", ...reportedUnknownCustomer(3, 59) },
    ]);
    expect(JSON.parse(await readFile(reportFile, "utf8"))).toEqual(report);
    for (const loanId of [95_001, 95_003]) {
      expect((await fetch(`${serverUrl()}/view-loan/${loanId}`)).status).toBe(200);
    }
    for (const loanId of [95_002, 95_005, 95_006]) {
      expect((await fetch(`${serverUrl()}/view-loan/${loanId}`)).status).toBe(404);
    }
  });
});

describe("rows the server rejects, in the script's report", () => {
  it("are named by the header the operator's workbook has, with the server's column kept beside it", async () => {
    const { customers, loans } = await writeLenderWorkbooks(
      { customers: scratch("named-customers.xlsx"), loans: scratch("named-loans.xlsx") },
      {
        customers: [customerValues(71), customerValues(72)],
        loans: [loanValues(71, 97_001)],
      },
    );
    const first = await ingest({ customers, loans });
    expect(first.complete).toBe(true);
    // One payment through the API: from then on the loan keeps its terms.
    const loan = (await (await fetch(`${serverUrl()}/view-loan/97001`)).json()) as {
      monthly_installment: number;
    };
    const payment = await fetch(`${serverUrl()}/make-payment/71/97001`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount: loan.monthly_installment }),
    });
    expect(payment.status).toBe(201);

    // The operator's own export: headers spelled otherwise than the lender's, as the script takes.
    const customerHeaders = CUSTOMER_HEADERS.with(0, "customer_id").with(4, " phone NUMBER");
    const loanHeaders = LOAN_HEADERS.with(0, "CUSTOMER ID").with(2, "loan amount");
    const corrected = {
      customers: await writeWorkbook(scratch("corrected-customers.xlsx"), [
        {
          rows: [
            customerHeaders,
            // Another phone number for customer 72, which has no loan here: the loans of a
            // customer row refused so are refused by the script
            // (test/scripts/refused-customer-loans.node.test.ts).
            customerValues(72, { 4: 8_800_000_072 }),
            customerValues(73, { 4: 9_000_000_071 }), // customer 71's phone number
          ],
        },
      ]),
      loans: await writeWorkbook(scratch("corrected-loans.xlsx"), [
        {
          rows: [
            loanHeaders,
            loanValues(71, 97_001, { 2: 260_000 }), // a corrected amount on the paid loan
            loanValues(79, 97_002), // customer 79 is in no workbook
          ],
          dateColumns: [8, 9],
        },
      ]),
    };
    const reportFile = scratch("named-report.json");
    const report = await ingest(corrected, { reportFile });

    const customersFile = "corrected-customers.xlsx";
    const loansFile = "corrected-loans.xlsx";
    expect(report.rejected_rows).toEqual([
      {
        file: customersFile,
        row: 2,
        column: "customer_id",
        server_column: "customer_id",
        reason: "customer 72 already exists with another phone number",
        customer_id: 72,
      },
      {
        file: customersFile,
        row: 3,
        column: "phone NUMBER",
        server_column: "phone_number",
        reason: "phone number already belongs to customer 71",
        customer_id: 73,
      },
      {
        file: loansFile,
        row: 2,
        column: "loan amount",
        server_column: "loan_amount",
        reason: expect.stringMatching(/^loan 97001 has taken 1 payment through the API/),
      },
      { file: loansFile, ...reportedUnknownCustomer(3, 79, "CUSTOMER ID") },
    ]);
    expect(JSON.parse(await readFile(reportFile, "utf8"))).toEqual(report);

    const summary = printedSummary(report, reportFile);
    expect(summary).toContain(
      `rejected ${customersFile} row 3 phone NUMBER: phone number already belongs to customer 71`,
    );
    expect(summary).toContain(`rejected ${loansFile} row 2 loan amount: loan 97001 has taken`);
    expect(summary).toContain(
      `rejected ${loansFile} row 3 CUSTOMER ID: UNKNOWN_CUSTOMER (customer 79)`,
    );
  });
});

describe("a send whose answer was lost", () => {
  it("is sent again whole by the script and accepted: each chunk counts once", async () => {
    const { customers, loans } = await writeLenderWorkbooks(
      { customers: scratch("resend-customers.xlsx"), loans: scratch("resend-loans.xlsx") },
      { customers: [customerValues(61), customerValues(62)], loans: [loanValues(61, 96_001)] },
    );
    // The first send is stored, then its 202 is lost on the way back: the script sends the same
    // chunk again, which must be taken as a redelivery, not refused as another chunk.
    const realFetch = globalThis.fetch;
    let lost = 0;
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const response = await realFetch(input, init);
      const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
      if (init?.method !== "POST" || path !== "/ingest/batches" || lost > 0) return response;
      lost += 1;
      expect(response.status).toBe(202);
      return new Response("the answer was lost", { status: 502 });
    });
    const lines: string[] = [];
    let report: Awaited<ReturnType<typeof runIngest>>;
    try {
      report = await ingest({ customers, loans }, { log: (line) => lines.push(line) });
    } finally {
      fetchSpy.mockRestore();
    }
    expect(lost).toBe(1);
    expect(lines.some((line) => /retrying POST \/ingest\/batches .*HTTP 502/.test(line))).toBe(
      true,
    );
    expect(report.complete).toBe(true);
    const job = await fetch(`${serverUrl()}/ingest/jobs/${report.job_id}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(await job.json()).toMatchObject({
      customers: { chunks: 1, received: 2, landed: 2 },
      loans: { chunks: 1, received: 1, landed: 1 },
    });
  });
});
