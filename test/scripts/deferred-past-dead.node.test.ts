import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { REPORT_LISTS_AT_MOST } from "../../src/ingest/job-store";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";
import { startKeyGateway } from "../node/key-gateway";

/*
 * Loans the server deferred (their Loan ID held by a stored loan of another customer) are sent
 * again by the script from the job report's `deferred_loans`, which lists the first 10,000 still
 * waiting. A row sent again whose chunk died stays waiting: when the first 10,000 were such rows,
 * the script found nothing new on the list and stopped, leaving every later deferred row unsent.
 * It now pages past them (`?deferred_after=`). The Node server in-process over a real libSQL
 * file, real workbooks, the real script; the resent chunks die on a trigger of that database.
 * The second run goes through a gateway that needs its key in the query string (a deployed
 * Worker's, `--url https://gateway/credit?key=…`): the page was asked for without it, refused 403,
 * and the run failed.
 */

const TOKEN = "deferred-past-dead-test-token";
const scratch = scratchFiles();
const { url: serverUrl, ingest } = ingestServerPerFile(TOKEN, scratch);
const MOST_LOANS = 5_000;

async function loanCount(customerId: number): Promise<number> {
  const response = await fetch(`${serverUrl()}/view-loans/${customerId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as unknown[]).length;
}

/** Loan IDs first..first+count-1 spread over customers from `customer`, 5,000 loans each. */
function loansOf(customer: number, first: number, count: number): unknown[][] {
  return Array.from({ length: count }, (_, index) =>
    loanValues(customer + Math.floor(index / MOST_LOANS), first + index),
  );
}

describe("deferred loans past 10,000 whose resent chunks died", () => {
  it("are sent again too: the script pages past the dead ones", async () => {
    const customers = Array.from({ length: 6 }, (_, index) => customerValues(index + 1));
    const listed = REPORT_LISTS_AT_MOST;
    expect(listed % MOST_LOANS).toBe(0);
    const first = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans-1.xlsx") },
      { customers, loans: loansOf(1, 1, listed + 1) },
    );
    expect((await ingest(first)).complete).toBe(true);

    // The same Loan IDs for customers 4, 5 (the first 10,000) and 6 (the one after): each held
    // by customer 1, 2 or 3's stored loan, so each is deferred and sent again. Every loan of
    // customers 4 and 5 fails to store: their resent chunks die.
    const database = createClient({ url: `file:${scratch("credit.db")}` });
    try {
      await database.execute(
        "CREATE TRIGGER test_refuse_loans BEFORE INSERT ON loans WHEN NEW.customer_id IN (4, 5) BEGIN SELECT RAISE(ABORT, 'test: this database refuses customer 4 and 5''s loans'); END",
      );
    } finally {
      database.close();
    }
    const next = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans-2.xlsx") },
      { customers, loans: loansOf(4, 1, listed + 1) },
    );
    const key = "gw-key-42";
    const gateway = await startKeyGateway(serverUrl, "/credit", key);
    let report: Awaited<ReturnType<typeof ingest>>;
    try {
      report = await ingest(next, { url: `${gateway.url}?key=${key}` });
    } finally {
      await gateway.close();
    }
    // Every request under the base path with the key, the page's too.
    expect(
      gateway
        .seen()
        .filter((request) => !/ \/credit\/ingest\/[^?]+\?key=gw-key-42(&|$)/.test(request)),
    ).toEqual([]);
    expect(gateway.seen().filter((request) => request.includes("deferred_after="))).toEqual([
      expect.stringMatching(
        /^GET \/credit\/ingest\/jobs\/ingest-[^?]+\?key=gw-key-42&deferred_after=\d+$/,
      ),
    ]);

    expect(report.complete).toBe(false);
    expect(report.loans).toMatchObject({ rows_read: listed + 1, landed: 1, dead: listed });
    // The deferred row after the first 10,000 landed under a new id; it was never sent.
    expect(await loanCount(6)).toBe(1);
    expect(report.remapped_loans.filter((loan) => loan.loan_id !== null)).toEqual([
      expect.objectContaining({ row: listed + 2, customer_id: 6, source_loan_id: listed + 1 }),
    ]);
  }, 240_000);
});
