import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { markDuplicateLoanIds } from "../../scripts/lib/duplicate-loan-ids";
import type { LoanRow } from "../../src/ingest/rows";
import { propertyRuns } from "../support/property-seed";

function loan(row: number, loanId: number, customerId: number): LoanRow {
  return {
    row,
    customer_id: customerId,
    loan_id: loanId,
    loan_amount: 100000,
    tenure: 12,
    interest_rate: 10,
    monthly_payment: 8792,
    emis_paid_on_time: 0,
    start_date: "2020-01-01",
    end_date: "2021-01-01",
  };
}

describe("markDuplicateLoanIds", () => {
  it("keeps the first occurrence and marks the later ones, in file order", () => {
    const { loans, remapped } = markDuplicateLoanIds([
      loan(2, 5930, 14),
      loan(3, 2941, 270),
      loan(4, 5930, 91),
      loan(5, 2941, 3),
    ]);
    expect(loans.map((l) => l.remap)).toEqual([undefined, undefined, true, true]);
    expect(remapped).toEqual([
      { row: 4, customer_id: 91, source_loan_id: 5930, first_row: 2 },
      { row: 5, customer_id: 3, source_loan_id: 2941, first_row: 3 },
    ]);
  });

  it("drops a stale mark from a first occurrence", () => {
    const { loans } = markDuplicateLoanIds([{ ...loan(2, 1, 1), remap: true }]);
    expect(loans[0]).not.toHaveProperty("remap");
  });

  it("loses no row and leaves exactly one unmarked row per Loan ID", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 200 }), (ids) => {
        const input = ids.map((id, index) => loan(index + 2, id, index + 1));
        const { loans, remapped } = markDuplicateLoanIds(input);
        expect(loans.map((l) => l.row)).toEqual(input.map((l) => l.row));
        const kept = loans.filter((l) => !l.remap).map((l) => l.loan_id);
        expect(kept.length).toBe(new Set(ids).size);
        expect(new Set(kept).size).toBe(kept.length);
        expect(remapped.length).toBe(ids.length - new Set(ids).size);
        for (const entry of remapped) {
          expect(ids.indexOf(entry.source_loan_id) + 2).toBe(entry.first_row);
          expect(entry.first_row).toBeLessThan(entry.row);
        }
      }),
      propertyRuns("duplicate loan ids"),
    );
  });

  it("refuses a later row with the Loan ID and customer of an earlier one, naming that row", () => {
    const { loans, remapped, repeated } = markDuplicateLoanIds([
      loan(2, 810001, 5),
      loan(3, 810001, 5),
      loan(4, 810001, 6),
      loan(5, 810001, 6),
    ]);
    expect(loans.map((l) => [l.row, l.remap])).toEqual([
      [2, undefined],
      [4, true],
    ]);
    expect(remapped.map((r) => r.row)).toEqual([4]);
    expect(repeated.map((r) => [r.row, r.earlierRow])).toEqual([
      [3, 2],
      [5, 4],
    ]);
    expect(repeated[0]?.reason).toMatch(/repeats Loan ID 810001 of customer 5 from row 2/);
  });

  it("sends each (Loan ID, customer) at most once and accounts for every row", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 4 })), {
          maxLength: 200,
        }),
        (pairs) => {
          const input = pairs.map(([id, customer], index) => loan(index + 2, id, customer));
          const { loans, repeated } = markDuplicateLoanIds(input);
          const keys = loans.map((l) => `${l.loan_id}:${l.customer_id}`);
          expect(new Set(keys).size).toBe(keys.length);
          expect(keys.length).toBe(new Set(pairs.map(([id, c]) => `${id}:${c}`)).size);
          expect(loans.length + repeated.length).toBe(input.length);
        },
      ),
      propertyRuns("repeated loans"),
    );
  });

  it("does not change its input", () => {
    const input = [loan(2, 1, 1), loan(3, 1, 2)];
    markDuplicateLoanIds(input);
    expect(input[1]).not.toHaveProperty("remap");
  });
});
