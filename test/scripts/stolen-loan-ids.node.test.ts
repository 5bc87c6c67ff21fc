import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  printedSummary,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * A row whose Loan ID a stored loan of another customer holds takes a new id, above every stored
 * id (docs/ingestion.md#loan-ids). Taken at once, as the row landed, that id could be the Loan ID
 * of a row sent later in the same run, which was then given a new id in turn: a loan of the file
 * lost its own Loan ID to a row the server had renumbered. The server now defers such a row (the
 * script's chunks ask it to), and the script sends it again with the later duplicates it holds
 * back, once every row keeping its own Loan ID has landed. The Node server in-process over a real
 * libSQL file, real workbooks.
 */

const TOKEN = "stolen-loan-ids-test-token";
const scratch = scratchFiles();
const { url: serverUrl, ingest } = ingestServerPerFile(TOKEN, scratch);

/** Customers 1–20: one customer id per range of loans (scripts/lib/customer-buckets.ts). */
const customers = Array.from({ length: 20 }, (_, index) => customerValues(index + 1));

async function customerOfLoan(loanId: number): Promise<number> {
  const response = await fetch(`${serverUrl()}/view-loan/${loanId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { customer: { id: number } }).customer.id;
}

describe("a loan whose Loan ID another customer's stored loan holds", () => {
  it("takes its new id only after every row bringing its own Loan ID has landed, and a rerun changes nothing", async () => {
    // The first file: Loan ID 99001 twice; customer 2's row is a later duplicate and takes 99002.
    const first = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans-1.xlsx") },
      { customers, loans: [loanValues(1, 99_001), loanValues(2, 99_001)] },
    );
    expect((await ingest(first)).remapped_loans).toEqual([
      { row: 3, customer_id: 2, source_loan_id: 99_001, loan_id: 99_002, first_row: 2 },
    ]);

    // The next file: the same loans and the lender's next ones, 99002 (customer 3) and 99003
    // (customer 4). Customer 3's 500 loans fill a chunk of their own, sent before customer 4's.
    const filler = Array.from({ length: 499 }, (_, index) => loanValues(3, 1_000 + index));
    const next = await writeLenderWorkbooks(
      { customers: scratch("customers-2.xlsx"), loans: scratch("loans-2.xlsx") },
      {
        customers,
        loans: [
          loanValues(1, 99_001),
          loanValues(2, 99_001),
          loanValues(3, 99_002),
          ...filler,
          loanValues(4, 99_003),
        ],
      },
    );
    const expectedRemaps = [
      { row: 3, customer_id: 2, source_loan_id: 99_001, loan_id: 99_002, first_row: 2 },
      // Customer 2's stored loan holds 99002: this row takes the next id once 99003 has landed.
      { row: 4, customer_id: 3, source_loan_id: 99_002, loan_id: 99_004, first_row: null },
    ];
    const report = await ingest(next);
    expect(report.complete).toBe(true);
    expect(report.loans).toMatchObject({ rows_read: 503, sent: 503, landed: 503, rejected: 0 });
    expect(report.remapped_loans).toEqual(expectedRemaps);
    // Customer 4's loan keeps its own Loan ID: it used to land as 99004, 99003 taken by row 4.
    expect(await customerOfLoan(99_003)).toBe(4);
    expect(await customerOfLoan(99_004)).toBe(3);
    const summary = printedSummary(report);
    expect(summary).toContain("  remapped loan ids: 2\n");
    expect(summary).toContain(
      "  … 1 of them because a stored loan of another customer has its Loan ID (first_row null in the report)",
    );

    // A rerun lands every row on the same id.
    const again = await ingest(next);
    expect(again.complete).toBe(true);
    expect(again.loans).toMatchObject({ rows_read: 503, landed: 503 });
    expect(again.remapped_loans).toEqual(expectedRemaps);
    const stored = await fetch(`${serverUrl()}/ingest/summary`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(((await stored.json()) as { loans: number }).loans).toBe(503);
    expect(await customerOfLoan(99_003)).toBe(4);
  });

  it("is reported as not landed when the run ends before sending it again, and a rerun lands it", async () => {
    // Customer 3's stored loan holds 99004 (above): customer 5's new loan 99004 is deferred.
    const file = await writeLenderWorkbooks(
      { customers: scratch("customers-3.xlsx"), loans: scratch("loans-3.xlsx") },
      { customers, loans: [loanValues(5, 99_004)] },
    );
    const proxy = await sendingNoNewIds();
    try {
      const report = await ingest(file, { url: proxy.url });
      expect(report.complete).toBe(false);
      expect(report.loans).toMatchObject({ rows_read: 1, landed: 0, rejected: 0 });
      expect(report.remapped_loans).toEqual([
        { row: 2, customer_id: 5, source_loan_id: 99_004, loan_id: null, first_row: null },
      ]);
      expect(printedSummary(report)).toContain(
        "  … and 1 loans whose Loan ID a stored loan of another customer has, deferred by the server and not landed (see the report)",
      );
    } finally {
      await proxy.close();
    }

    const rerun = await ingest(file);
    expect(rerun.complete).toBe(true);
    expect(rerun.loans).toMatchObject({ rows_read: 1, sent: 1, landed: 1 });
    expect(rerun.remapped_loans).toEqual([
      { row: 2, customer_id: 5, source_loan_id: 99_004, loan_id: 99_005, first_row: null },
    ]);
    expect(await customerOfLoan(99_005)).toBe(5);
  });
});

/**
 * The server behind a proxy that answers a send of loans without `defer_new_ids` (the rows sent
 * again) 202 and drops it: as if the run had stopped before sending them.
 */
async function sendingNoNewIds(): Promise<{ url: string; close: () => Promise<void> }> {
  const proxy: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (request.method === "POST") {
      const { messages } = JSON.parse(body.toString("utf8")) as {
        messages: { kind: string; defer_new_ids?: true; rows: unknown[] }[];
      };
      if (messages.some((message) => message.kind === "loans" && !message.defer_new_ids)) {
        const rows = messages.reduce((sum, message) => sum + message.rows.length, 0);
        response.writeHead(202, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ accepted: messages.length, rows }));
        return;
      }
    }
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
      ...(method === "GET" || method === "HEAD" ? {} : { body }),
    });
    response.writeHead(answer.status, {
      "Content-Type": answer.headers.get("Content-Type") ?? "application/json",
    });
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}
