import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { loans } from "../../src/db/schema";
import { percentToBasisPoints, rupeesToPaise } from "../../src/domain/money";
import { openLoan } from "../../src/domain/servicing";
import { ON_REINGEST, upsertLoans } from "../../src/ingest/loan-upsert";
import { planLoans } from "../../src/ingest/plan-loans";
import type { LoanRow } from "../../src/ingest/rows";
import { readLoansForChunk, runAtomically, slices, upsertCustomers } from "../../src/ingest/store";
import type { LibsqlDatabase } from "../../src/node/database";
import { openMigratedLibsql } from "../support/migrated-libsql";
import { propertyRuns } from "../support/property-seed";

/*
 * The ingest upserts bind a chunk as one JSON text (`insert … select … from json_each(?)`). They
 * must leave the tables exactly as drizzle's insert builder with a VALUES list did, the code they
 * replaced (below, as the reference): the same rows, ids, re-ingest updates and refusals to
 * update a loan that took API payments. Each property run applies the same chunks to two real
 * libSQL files, one through each, and compares every stored value.
 */

let directory: string;
let reference: LibsqlDatabase;
let json: LibsqlDatabase;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "loan-upsert-"));
  reference = await openMigratedLibsql(`file:${join(directory, "reference.db")}`);
  json = await openMigratedLibsql(`file:${join(directory, "json.db")}`);
});
afterAll(async () => {
  reference.close();
  json.close();
  await rm(directory, { recursive: true, force: true });
});

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
  const stored = await readLoansForChunk(database.db, rows);
  const plan = planLoans(rows, stored.loans, stored.customerIds);
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
          await reset(reference);
          await reset(json);
          for (const [rows, paidThrough] of chunks) {
            await land(reference, rows, builderStatements);
            await land(json, rows, upsertLoans);
            // A loan that took an API payment must keep its terms on the next chunk.
            if (paidThrough) {
              for (const database of [reference, json]) {
                await database.client.execute(
                  "update loans set api_payments = 1 where id = (select min(id) from loans)",
                );
              }
            }
          }
          expect(await contents(json)).toEqual(await contents(reference));
        },
      ),
      propertyRuns("json loan upsert", 60),
    );
  });

  it("writes a chunk of any size as one statement per kind of id", () => {
    const rows = Array.from({ length: 500 }, (_, index) => ({
      row: {
        row: index + 2,
        customer_id: 1,
        loan_id: index + 1,
        loan_amount: 100_000,
        tenure: 12,
        interest_rate: 10,
        monthly_payment: 8_792,
        emis_paid_on_time: 3,
        start_date: "2024-01-15",
        end_date: "2025-01-15",
      },
      id: index % 2 === 0 ? index + 1 : null,
    }));
    const statements = upsertLoans(json.db, rows).map((statement) =>
      (statement as unknown as { toSQL(): { params: unknown[] } }).toSQL(),
    );
    expect(statements.map((statement) => statement.params.length)).toEqual([1, 1]);
  });
});
