import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  decisionSweep,
  insertRefusedDecision,
  type NewDecisionRecord,
  selectCustomerDecisionPage,
  selectDecision,
} from "../../src/db/decisions";
import {
  deleteExpiredKeys,
  deleteKeyIfExpired,
  insertResponseAfterBooking,
  selectLiveIdempotencyRecord,
} from "../../src/db/idempotency";
import { deleteExpiredJobChunks, deleteExpiredJobRows } from "../../src/db/ingest-retention";
import {
  insertLoanIfAffordable,
  selectBorrower,
  selectBorrowerToDecide,
  selectLoansOfCustomer,
  selectLoanWithCustomer,
} from "../../src/db/loans";
import { selectLoanToPay, selectPaymentIdByKey, selectStatement } from "../../src/db/payments";
import { dropRejectedDeferrals } from "../../src/ingest/job-store";
import { customerChunkLookups, landedChunkLookup, loanChunkLookups } from "../../src/ingest/store";
import { d1Database } from "../../src/worker/d1";
import { customerRow, loanRow } from "../support/ingest";

/*
 * Budget: every hot query is an index lookup, so a request's cost depends on that customer's
 * loans only, never on the size of the tables. Asserted on SQLite's query plan, not on time.
 */

const db = d1Database(env.DB);

interface PlanRow {
  detail: string;
}

type Statement = { sql: string; params: unknown[] };
/** A query builder's statement, or a raw statement's (`db.run`). */
type Plannable = { toSQL(): Statement } | { getQuery(): Statement };

async function planOf(query: Plannable): Promise<string[]> {
  const { sql, params } = "toSQL" in query ? query.toSQL() : query.getQuery();
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<PlanRow>();
  return results.map((row) => row.detail);
}

const HOT_QUERIES = {
  "a customer's loans (view-loans past 5,000 loans)": () => selectLoansOfCustomer(db, 20),
  "a customer with their loans (view-loans)": () => selectBorrower(db, 20),
  "a customer with their loans counted and, below the bound, read (check-eligibility, create-loan)":
    () => selectBorrowerToDecide(db, 20),
  "a loan with its customer (view-loan)": () => selectLoanWithCustomer(db, 1003),
  "an idempotency key (create-loan, make-payment)": () =>
    selectLiveIdempotencyRecord(db, "key", Date.now()),
  "an expired key's removal before its reuse (create-loan, make-payment)": () =>
    deleteKeyIfExpired(db, "key", Date.now()),
  "expired keys sweep (scheduled maintenance)": () => deleteExpiredKeys(db, Date.now(), 500),
  "a decision by id (GET /decisions/{id})": () => selectDecision(db, crypto.randomUUID()),
  "a customer's newest decisions (first page)": () =>
    selectCustomerDecisionPage(db, 20, Number.MAX_SAFE_INTEGER, 21),
  "a customer's decisions after a cursor": () => selectCustomerDecisionPage(db, 20, 1_000, 21),
  "expired decision records' inputs counted off (scheduled maintenance)": () =>
    decisionSweep(db, "2023-05-15T00:00:00.000Z", 500)[0],
  "expired decision records' unread inputs deleted (scheduled maintenance)": () =>
    decisionSweep(db, "2023-05-15T00:00:00.000Z", 500)[1],
  "expired decision records sweep (scheduled maintenance)": () =>
    decisionSweep(db, "2023-05-15T00:00:00.000Z", 500)[2],
  // The ingest jobs' sweep: the expired jobs' rejections, remaps and deferred loans, then chunks.
  ...Object.fromEntries(
    ["rejections", "remapped loans", "deferred loans"].map((table, index) => [
      `expired ingest jobs' ${table} sweep (scheduled maintenance)`,
      () => deleteExpiredJobRows(db, index, "2026-09-01T00:00:00.000Z", 500, 500),
    ]),
  ),
  "expired ingest jobs' chunks sweep (scheduled maintenance)": () =>
    deleteExpiredJobChunks(db, "2026-09-01T00:00:00.000Z", 500),
  "a job's deferred loans sent again and rejected, taken off its list (ingest consumer)": () =>
    dropRejectedDeferrals(db, "job", 3, [loanRow(1003, 20)])[0] as unknown as Plannable,
  // Every create-loan that decides: looks its record up by id, and each part by key on conflict.
  "a decision's inputs' parts stored, or counted once more (create-loan)": () =>
    insertRefusedDecision(db, { id: crypto.randomUUID() } as NewDecisionRecord, {
      own: "{}",
      parts: [{ digest: "0".repeat(64), text: "[]" }],
    })[1],
  "a booking's stored response, from its decision record (create-loan)": () =>
    insertResponseAfterBooking(
      db,
      { key: "k", requestHash: "h", status: 201, body: "{}", expiresAt: 1 },
      crypto.randomUUID(),
    ),
  "guarded loan insert (create-loan)": () =>
    insertLoanIfAffordable(db, {
      customerId: 20,
      loanAmountPaise: 1,
      tenure: 1,
      interestRateBp: 1,
      monthlyPaymentPaise: 1,
      startDate: "2025-06-15",
      endDate: "2025-07-15",
    }),
  "a customer's loan (make-payment)": () => selectLoanToPay(db, 20, 1003),
  "a loan with its payments (view-statement)": () => selectStatement(db, 20, 1003),
  "a payment by its Idempotency-Key (make-payment replay)": () => selectPaymentIdByKey(db, "key"),
};

describe("query plans of the hot queries", () => {
  it.each(Object.entries(HOT_QUERIES))(
    "%s uses an index and never scans a table",
    async (_name, build) => {
      const plan = await planOf(build());
      expect(plan.length).toBeGreaterThan(0);
      for (const step of plan) {
        // "SCAN t" reads a whole table; "SEARCH t USING (INTEGER PRIMARY KEY|INDEX …)" does not.
        // `gone` and `read_by_gone` are the sweep's own subqueries, at most what its batch of
        // records read; a VIRTUAL TABLE is json_each over one record's list of parts or over the
        // parts to store.
        const ownSubquery = step === "SCAN gone" || step === "SCAN read_by_gone";
        if (/^SCAN /.test(step) && !ownSubquery && !/^SCAN \w+ VIRTUAL TABLE/.test(step)) {
          expect.fail(`full scan in plan: ${plan.join(" | ")}`);
        }
      }
      expect(
        plan.some((step) => /USING (INTEGER PRIMARY KEY|INDEX|COVERING INDEX)/.test(step)),
      ).toBe(true);
    },
  );
});

const INGEST_CHUNK = { customer: customerRow(20), loan: loanRow(1003, 20) };

describe("query plans of an ingest chunk's reads", () => {
  // A chunk's ids arrive as one JSON list (json_each, a virtual table read once); every stored
  // row they name must be found through an index, or a million-loan ingest reads the table
  // for every chunk.
  it.each([
    ...customerChunkLookups(db, [INGEST_CHUNK.customer]).map(
      (query, index) => [`customers ${index}`, query] as const,
    ),
    ...loanChunkLookups(db, [INGEST_CHUNK.loan]).map(
      (query, index) => [`loans ${index}`, query] as const,
    ),
    // With each customer's loans counted (the bound on a customer's loans): through an index too.
    ["loans' customers, counted", loanChunkLookups(db, [INGEST_CHUNK.loan], true)[0]] as const,
    ["landed before", landedChunkLookup(db, { job_id: "job", seq: 0 })] as const,
  ])("%s: only the list is scanned", async (_name, query) => {
    const plan = await planOf(query);
    for (const step of plan) {
      if (/^SCAN /.test(step) && !/^SCAN json_each VIRTUAL TABLE/.test(step))
        expect.fail(`full scan in plan: ${plan.join(" | ")}`);
    }
    expect(plan.some((step) => /USING (INTEGER PRIMARY KEY|INDEX|COVERING INDEX)/.test(step))).toBe(
      true,
    );
  });
});
