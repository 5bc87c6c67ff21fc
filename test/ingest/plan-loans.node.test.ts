import { describe, expect, it } from "vitest";
import { type ExistingLoan, loanBoundReason, planLoans } from "../../src/ingest/plan-loans";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { loanRow } from "../support/ingest";

/*
 * The plan's side of the bound on a customer's loans (the database holds it too: migrations/0011,
 * test/routes/ingest-loan-bound.test.ts). Only new loans count, against what is stored and the
 * chunk's earlier new loans; a re-ingested loan is never refused for it.
 */

const BOUND = LOANS_PER_CUSTOMER_AT_MOST;

function stored(id: number, customerId: number): ExistingLoan {
  return {
    id,
    customerId,
    sourceLoanId: id,
    apiPayments: 0,
    loanAmountPaise: 10_000_000,
    interestRateBp: 820,
    tenure: 12,
    startDate: "2023-01-10",
    endDate: "2024-01-10",
    workbookEmisPaidOnTime: 10,
  };
}

describe("planLoans and the bound on a customer's loans", () => {
  it("counts the chunk's new loans after the stored ones, per customer; re-ingested ones not at all", () => {
    const rows = [
      loanRow(101, 1, { row: 2 }), // new: the bound's last
      loanRow(50, 1, { row: 3 }), // stored: an update
      loanRow(102, 1, { row: 4 }), // new: past the bound
      loanRow(201, 2, { row: 5 }), // another customer, far from it
      loanRow(103, 1, { row: 6, remap: true }), // a later duplicate is a new loan too
    ];
    const plan = planLoans(
      rows,
      [stored(50, 1)],
      new Map([
        [1, BOUND - 1],
        [2, 3],
      ]),
    );
    expect(plan.write.map((w) => [w.row.row, w.id])).toEqual([
      [2, 101],
      [5, 201],
      [3, null],
    ]);
    expect(plan.remapped).toEqual([]);
    expect(plan.pastBound).toEqual([
      { row: 4, column: "customer_id", reason: loanBoundReason(1, BOUND), customerId: 1 },
      { row: 6, column: "customer_id", reason: loanBoundReason(1, BOUND), customerId: 1 },
    ]);
  });

  it("defers a row that would take a new id in a deferring chunk, uncounted: it meets the bound when sent again", () => {
    const rows = [loanRow(7, 4, { row: 2, remap: true }), loanRow(11, 4, { row: 3 })];
    const plan = planLoans(rows, [], new Map([[4, BOUND - 1]]), { deferNewIds: true });
    expect(plan.deferred.map((row) => row.row)).toEqual([2]);
    expect(plan.write.map((w) => [w.row.row, w.id])).toEqual([[3, 11]]);
    expect(plan.pastBound).toEqual([]);
  });

  it("lists apart, uncounted, a row that would take a new id when none is left: the next new loan keeps the bound's last place", () => {
    const rows = [loanRow(7, 4, { row: 2, remap: true }), loanRow(11, 4, { row: 3 })];
    const plan = planLoans(rows, [], new Map([[4, BOUND - 1]]), { noIdLeft: true });
    expect(plan.withoutId.map((row) => row.row)).toEqual([2]);
    expect(plan.write.map((w) => [w.row.row, w.id])).toEqual([[3, 11]]);
    expect(plan.remapped).toEqual([]);
    expect(plan.pastBound).toEqual([]);
  });

  it("re-ingests every stored loan of a customer stored past the bound, and refuses a new one", () => {
    const rows = [loanRow(7, 3, { row: 2 }), loanRow(8, 3, { row: 3 }), loanRow(9, 3, { row: 4 })];
    const plan = planLoans(rows, [stored(7, 3), stored(8, 3)], new Map([[3, BOUND + 40]]));
    expect(plan.write.map((w) => w.row.row)).toEqual([2, 3]);
    expect(plan.pastBound).toEqual([
      { row: 4, column: "customer_id", reason: loanBoundReason(3, BOUND + 40), customerId: 3 },
    ]);
  });
});

describe("planLoans and a stored loan that has taken API payments", () => {
  it("keeps a row repeating its terms without writing it, and refuses one changing them", () => {
    const paid = { ...stored(60, 4), apiPayments: 2 };
    const rows = [
      loanRow(60, 4, { row: 2 }), // the stored terms again
      loanRow(60, 5, { row: 3 }), // another customer's Loan ID 60: not the paid loan
    ];
    const plan = planLoans(
      rows,
      [paid, stored(61, 5)],
      new Map([
        [4, 1],
        [5, 1],
      ]),
    );
    // A write to a paid loan aborts the chunk's batch (migrations/0013): the row lands as kept.
    expect(plan.kept.map((row) => row.row)).toEqual([2]);
    expect(plan.write.map((w) => w.row.row)).toEqual([3]);
    expect(plan.paidLoanChanged).toEqual([]);

    const corrected = planLoans(
      [loanRow(60, 4, { row: 2, tenure: 18 })],
      [paid],
      new Map([[4, 1]]),
    );
    expect(corrected.kept).toEqual([]);
    expect(corrected.write).toEqual([]);
    expect(corrected.paidLoanChanged.map(({ row, column }) => ({ row, column }))).toEqual([
      { row: 2, column: "tenure" },
    ]);
  });
});
