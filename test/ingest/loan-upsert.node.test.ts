import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { loans } from "../../src/db/schema";
import { percentToBasisPoints, rupeesToPaise } from "../../src/domain/money";
import { openLoan } from "../../src/domain/servicing";
import { ON_REINGEST, upsertLoans } from "../../src/ingest/loan-upsert";
import { planLoans } from "../../src/ingest/plan-loans";
import type { LoanRow } from "../../src/ingest/rows";
import { readLoansForChunk, runAtomically, slices, upsertCustomers } from "../../src/ingest/store";
import type { LibsqlDatabase } from "../../src/node/database";
import { loanRow as fixtureLoanRow } from "../support/ingest";
import { pairedLibsqlFiles } from "../support/paired-libsql";
import { propertyRuns } from "../support/property-seed";

/*
 * The ingest upserts bind a chunk as one JSON text (`insert … select … from json_each(?)`). They
 * must leave the tables exactly as drizzle's insert builder with a VALUES list did, the code they
 * replaced (below, as the reference): the same rows, ids, re-ingest updates and refusals to
 * update a loan that took API payments. Each property run applies the same chunks to two real
 * libSQL files, one through each, and compares every stored value.
 */

const files = pairedLibsqlFiles("loan-upsert-");

const CUSTOMERS = 8;

function builderStatements(db: Database, rows: readonly { row: LoanRow; id: number | null }[]) {
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
        .onConflictDoUpdate(ON_REINGEST),
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
    customer_id: fc.integer({ min: 1, max: CUSTOMERS }),
    // Few Loan IDs, so that chunks collide with each other and with stored loans.
    loan_id: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(1_000_000_000)),
    loan_amount: fc.integer({ min: 1, max: 10_000_000_00 }).map((paise) => paise / 100),
    tenure: fc.integer({ min: 1, max: 360 }),
    interest_rate: fc.integer({ min: 0, max: 3_000 }).map((bp) => bp / 100),
    monthly_payment: fc.integer({ min: 1, max: 1_000_000_00 }).map((paise) => paise / 100),
    settled: fc.nat({ max: 400 }),
    start_date: isoDate,
    end_date: isoDate,
  })
  .map(({ settled, ...row }) => ({ ...row, emis_paid_on_time: settled % (row.tenure + 1) }));

/** Every stored value of both tables but the creation times (the clock's, not the statement's). */
async function contents(database: LibsqlDatabase) {
  const loanRows = await database.client.execute("select * from loans order by id");
  const customerRows = await database.client.execute("select * from customers order by id");
  const withoutCreatedAt = (rows: typeof loanRows.rows) =>
    rows.map(({ created_at: _created, ...rest }) => rest);
  return { loans: withoutCreatedAt(loanRows.rows), customers: withoutCreatedAt(customerRows.rows) };
}

async function reset(database: LibsqlDatabase) {
  await database.client.execute("delete from loans");
  await database.client.execute("delete from customers");
  await runAtomically(
    database.db,
    upsertCustomers(
      database.db,
      Array.from({ length: CUSTOMERS }, (_, index) => ({
        row: index + 2,
        customer_id: index + 1,
        first_name: `F${index}`,
        last_name: "L",
        age: 30 + index,
        phone_number: 9_000_000_000 + index,
        monthly_salary: 50_000 + index,
        approved_limit: 1_800_000,
      })),
    ),
  );
}

/** A chunk planned against what is stored, as the consumer plans it, then written one way. */
async function land(
  database: LibsqlDatabase,
  rows: LoanRow[],
  write: (db: Database, plan: { row: LoanRow; id: number | null }[]) => unknown[],
) {
  const stored = await readLoansForChunk(database.db, {
    job_id: "job",
    seq: 0,
    kind: "loans",
    rows,
  });
  const plan = planLoans(rows, stored.loans, stored.customerLoans);
  await runAtomically(database.db, write(database.db, plan.write) as never);
}

describe("upsertLoans", () => {
  it("leaves the tables as drizzle's builder with a VALUES list did", async () => {
    const chunk = fc
      .array(loanRow, { minLength: 1, maxLength: 30 })
      .map((rows) => rows.map((row, index) => ({ ...row, row: index + 2 })));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(chunk, fc.boolean()), { minLength: 1, maxLength: 4 }),
        async (chunks) => {
          await reset(files.reference);
          await reset(files.candidate);
          for (const [rows, paidThrough] of chunks) {
            await land(files.reference, rows, builderStatements);
            await land(files.candidate, rows, upsertLoans);
            // A loan that took an API payment must keep its terms on the next chunk. A payment's
            // write adds 1 to the count: the only write migrations/0013 lets reach a paid loan.
            if (paidThrough) {
              for (const database of [files.reference, files.candidate]) {
                await database.client.execute(
                  "update loans set api_payments = api_payments + 1 where id = (select min(id) from loans)",
                );
              }
            }
          }
          expect(await contents(files.candidate)).toEqual(await contents(files.reference));
        },
      ),
      propertyRuns("json loan upsert", 60),
    );
  });

  it("writes a chunk of any size as one statement per kind of id", () => {
    const rows = Array.from({ length: 500 }, (_, index) => ({
      row: fixtureLoanRow(index + 1, 1),
      id: index % 2 === 0 ? index + 1 : null,
    }));
    const statements = upsertLoans(files.candidate.db, rows).map((statement) =>
      (statement as unknown as { toSQL(): { params: unknown[] } }).toSQL(),
    );
    expect(statements.map((statement) => statement.params.length)).toEqual([1, 1]);
  });
});
