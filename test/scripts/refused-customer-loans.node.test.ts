import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { REPORT_LISTS_AT_MOST } from "../../src/ingest/job-store";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  printedSummary,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * A customers workbook whose Customer ID is already stored for another person (another phone
 * number): the server refuses that customer row, and the loans the workbook gives that Customer
 * ID are that other person's, not the stored customer's. They used to land on the stored customer
 * (a new branch's export numbering its customers from 1 again added its loans to the lender's
 * customers 1, 2, …, changing their credit history), counted as landed, rejected 0. The Node
 * server in-process over a real libSQL file, real workbooks, the real script.
 */

const TOKEN = "refused-customer-loans-test-token";
const scratch = scratchFiles();
const { url: serverUrl, ingest } = ingestServerPerFile(TOKEN, scratch);

async function loanIdsOf(customerId: number): Promise<number[]> {
  const response = await fetch(`${serverUrl()}/view-loans/${customerId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { loan_id: number }[]).map((l) => l.loan_id).sort();
}

describe("loans whose customer row the server refused as another person's", () => {
  it("are rejected, naming that customer row, instead of landing on the stored customer", async () => {
    const lender = await writeLenderWorkbooks(
      { customers: scratch("lender-customers.xlsx"), loans: scratch("lender-loans.xlsx") },
      { customers: [customerValues(81), customerValues(82)], loans: [loanValues(81, 98_001)] },
    );
    expect((await ingest(lender)).complete).toBe(true);

    // Another branch's export: its customer 81 is someone else (another phone number).
    const branch = await writeLenderWorkbooks(
      { customers: scratch("branch-customers.xlsx"), loans: scratch("branch-loans.xlsx") },
      {
        customers: [
          customerValues(81, { 1: "Other", 4: 8_800_000_081 }),
          customerValues(83),
          // A new customer under the lender's customer 82's phone number: refused too, and its
          // loan used to wait a minute of retries to be rejected as UNKNOWN_CUSTOMER.
          customerValues(84, { 4: 9_000_000_082 }),
        ],
        loans: [
          loanValues(81, 98_101),
          loanValues(83, 98_102),
          loanValues(81, 98_103),
          // The lender's customer 82, not in this customers file: lands as before.
          loanValues(82, 98_104),
          loanValues(84, 98_105),
        ],
      },
    );
    const report = await ingest(branch);

    expect(report.complete).toBe(false);
    expect(report.customers).toMatchObject({ rows_read: 3, landed: 1, rejected: 2 });
    expect(report.loans).toMatchObject({ rows_read: 5, sent: 2, landed: 2, rejected: 3, dead: 0 });
    const refused = {
      file: "branch-loans.xlsx",
      column: "Customer ID",
      reason:
        "customer 81's row 2 of branch-customers.xlsx was rejected (customer 81 already exists with another phone number), so its loans are not ingested either",
    };
    expect(report.rejected_rows).toEqual([
      { ...refused, row: 2 },
      { ...refused, row: 4 },
      {
        ...refused,
        row: 6,
        reason:
          "customer 84's row 4 of branch-customers.xlsx was rejected (phone number already belongs to customer 82), so its loans are not ingested either",
      },
      {
        file: "branch-customers.xlsx",
        row: 2,
        column: "Customer ID",
        server_column: "customer_id",
        reason: "customer 81 already exists with another phone number",
        customer_id: 81,
      },
      {
        file: "branch-customers.xlsx",
        row: 4,
        column: "Phone Number",
        server_column: "phone_number",
        reason: "phone number already belongs to customer 82",
        customer_id: 84,
      },
    ]);
    // The reason names the customer that has the phone number; the row's own is not added to it.
    expect(printedSummary(report)).toContain(
      "  rejected branch-customers.xlsx row 4 Phone Number: phone number already belongs to customer 82\n",
    );
    // The stored customer 81 keeps the loans it had; the others landed.
    expect(await loanIdsOf(81)).toEqual([98_001]);
    expect(await loanIdsOf(82)).toEqual([98_104]);
    expect(await loanIdsOf(83)).toEqual([98_102]);
    expect((await fetch(`${serverUrl()}/view-loan/98105`)).status).toBe(404);
    // Every row read is landed or rejected: the counts reconcile.
    for (const file of [report.customers, report.loans]) {
      expect(file.landed + file.rejected + file.dead).toBe(file.rows_read);
    }
  });

  it("are rejected too against a server of a release before customer rejections had customer_id", async () => {
    // A deployed Worker one release behind the script: its job report gives a customer row refused
    // as another person's no customer_id, only the reason it has always given. Its loans used to
    // be sent and land on the stored customer, as before the script learnt to refuse them.
    const older = await olderServer();
    try {
      const lender = await writeLenderWorkbooks(
        { customers: scratch("older-lender.xlsx"), loans: scratch("older-lender-loans.xlsx") },
        { customers: [customerValues(91)], loans: [loanValues(91, 99_001)] },
      );
      expect((await ingest(lender, { url: older.url })).complete).toBe(true);
      const branch = await writeLenderWorkbooks(
        { customers: scratch("older-branch.xlsx"), loans: scratch("older-branch-loans.xlsx") },
        {
          customers: [customerValues(91, { 1: "Other", 4: 8_800_000_091 }), customerValues(93)],
          loans: [loanValues(91, 99_101), loanValues(93, 99_102)],
        },
      );
      const report = await ingest(branch, { url: older.url });

      expect(report.loans).toMatchObject({ rows_read: 2, sent: 1, landed: 1, rejected: 1 });
      expect(report.rejected_rows).toContainEqual({
        file: "older-branch-loans.xlsx",
        row: 2,
        column: "Customer ID",
        reason:
          "customer 91's row 2 of older-branch.xlsx was rejected (customer 91 already exists with another phone number), so its loans are not ingested either",
      });
      expect(await loanIdsOf(91)).toEqual([99_001]);
      expect(await loanIdsOf(93)).toEqual([99_102]);
    } finally {
      await older.close();
    }
  });

  it("stops before any loan when the server's report does not list every customer it refused", async () => {
    // Past the report's first 10,000 rejections, which customers were refused as others cannot
    // be told: a loan of one of them would land on the stored customer.
    const ids = Array.from({ length: REPORT_LISTS_AT_MOST + 1 }, (_, i) => 200_001 + i);
    const stored = await writeLenderWorkbooks(
      { customers: scratch("many-customers.xlsx"), loans: scratch("many-loans.xlsx") },
      { customers: ids.map((id) => customerValues(id)), loans: [loanValues(200_001, 98_201)] },
    );
    expect((await ingest(stored)).complete).toBe(true);

    const others = await writeLenderWorkbooks(
      { customers: scratch("others.xlsx"), loans: scratch("others-loans.xlsx") },
      {
        customers: ids.map((id) => customerValues(id, { 4: 7_000_000_000 + id })),
        loans: [loanValues(200_001, 98_202), loanValues(210_001, 98_203)],
      },
    );
    const reportFile = scratch("others-report.json");
    await expect(ingest(others, { reportFile })).rejects.toThrow(
      `the server rejected ${REPORT_LISTS_AT_MOST + 1} customer rows and its report lists only the first ${REPORT_LISTS_AT_MOST}: loans whose customer row was refused as another person's cannot all be told apart, so no loans were sent; fix others.xlsx (see the report) and run again`,
    );
    const report = JSON.parse(await readFile(reportFile, "utf8"));
    expect(report).toMatchObject({ complete: false, loans: { sent: 0, landed: 0 } });
    expect(await loanIdsOf(200_001)).toEqual([98_201]);
    expect(await loanIdsOf(210_001)).toEqual([]);
  }, 120_000);
});

/**
 * The server as a release before 2026-12-05 answers: a proxy in front of it that drops
 * customer_id from the customer rejections of every job report (loans' UNKNOWN_CUSTOMER keep it,
 * as they had it then).
 */
async function olderServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const proxy: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && name !== "host" && name !== "connection") {
        headers.set(name, value);
      }
    }
    const method = request.method ?? "GET";
    const answer = await fetch(`${serverUrl()}${request.url ?? "/"}`, {
      method,
      headers,
      ...(method === "GET" || method === "HEAD" ? {} : { body: Buffer.concat(chunks) }),
    });
    let body = Buffer.from(await answer.arrayBuffer());
    if (answer.ok && request.url?.startsWith("/ingest/jobs/")) {
      const job = JSON.parse(body.toString("utf8")) as {
        rejections: { kind: string; customer_id?: number }[];
      };
      for (const rejection of job.rejections) {
        if (rejection.kind === "customers") delete rejection.customer_id;
      }
      body = Buffer.from(JSON.stringify(job));
    }
    response.writeHead(answer.status, {
      "Content-Type": answer.headers.get("Content-Type") ?? "application/json",
    });
    response.end(body);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}
