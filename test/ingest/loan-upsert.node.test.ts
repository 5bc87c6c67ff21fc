import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Database, schema } from "../../src/db/database";
import { loans } from "../../src/db/schema";
import { percentToBasisPoints, rupeesToPaise } from "../../src/domain/money";
import { openLoan } from "../../src/domain/servicing";
import { ON_REINGEST, upsertLoans } from "../../src/ingest/loan-upsert";
import type { LoanRow } from "../../src/ingest/rows";
import { slices } from "../../src/ingest/store";
import { propertyRuns } from "../support/property-seed";

/*
 * The flat loan upsert must be exactly the statement drizzle's insert builder writes for the same
 * rows: same SQL text (so the same prepared statements, D1 limits and upsert rules) and the same
 * bound values. The reference below is the builder code it replaced (the conflict clause, which
 * the builder writes on both sides, is the one both use).
 */

const db = drizzle(async () => ({ rows: [] }), { schema }) as unknown as Database;

function builderStatements(rows: readonly { row: LoanRow; id: number | null }[]) {
  const groups = [rows.filter((r) => r.id !== null), rows.filter((r) => r.id === null)];
  return groups.flatMap((group) =>
    slices(group, 10).map((slice) =>
      db
        .insert(loans)
        .values(
          slice.map(({ row, id }) => {
            const closedOn = openLoan({
              loanAmountPaise: rupeesToPaise(row.loan_amount),
              annualRateBp: percentToBasisPoints(row.interest_rate),
              tenure: row.tenure,
              startDate: row.start_date,
              scheduleBasis: "reconstructed",
              recordedInstalmentPaise: rupeesToPaise(row.monthly_payment),
              recordedEmisPaidOnTime: row.emis_paid_on_time,
            }).state.closedOn;
            return {
              id: id ?? undefined,
              customerId: row.customer_id,
              sourceLoanId: row.loan_id,
              loanAmountPaise: rupeesToPaise(row.loan_amount),
              tenure: row.tenure,
              interestRateBp: percentToBasisPoints(row.interest_rate),
              monthlyPaymentPaise: rupeesToPaise(row.monthly_payment),
              emisPaidOnTime: row.emis_paid_on_time,
              startDate: row.start_date,
              endDate: row.end_date,
              workbookEmisPaidOnTime: sql`0`,
              apiPayments: sql`0`,
              closedOn: closedOn === null ? undefined : sql.raw(`'${closedOn}'`),
            };
          }),
        )
        .onConflictDoUpdate(ON_REINGEST)
        .toSQL(),
    ),
  );
}

const isoDate = fc
  .record({
    year: fc.integer({ min: 1990, max: 2030 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
  })
  .map(
    ({ year, month, day }) =>
      `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
  );

const loanRow: fc.Arbitrary<LoanRow> = fc
  .record({
    row: fc.integer({ min: 2, max: 1_048_576 }),
    customer_id: fc.integer({ min: 1, max: 1_000_000 }),
    loan_id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    loan_amount: fc.integer({ min: 1, max: 10_000_000_00 }).map((paise) => paise / 100),
    tenure: fc.integer({ min: 1, max: 360 }),
    interest_rate: fc.integer({ min: 0, max: 3_000 }).map((bp) => bp / 100),
    monthly_payment: fc.integer({ min: 1, max: 1_000_000_00 }).map((paise) => paise / 100),
    settled: fc.nat({ max: 400 }),
    start_date: isoDate,
    end_date: isoDate,
  })
  .map(({ settled, ...row }) => ({ ...row, emis_paid_on_time: settled % (row.tenure + 1) }));

describe("upsertLoans", () => {
  it("writes the statements drizzle's insert builder writes, text and values", () => {
    const written = fc.record({
      row: loanRow,
      id: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(written, { maxLength: 35 }), (rows) => {
        const flat = upsertLoans(db, rows).map((statement) =>
          (statement as unknown as { toSQL(): { sql: string; params: unknown[] } }).toSQL(),
        );
        expect(flat).toEqual(builderStatements(rows));
      }),
      propertyRuns("flat loan upsert", 100),
    );
  });
});
