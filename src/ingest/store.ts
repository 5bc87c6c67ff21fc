import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/database";
import { element, jsonArraysSelect, jsonList } from "../db/json-rows";
import { customers, ingestChunks, loans, NOW_ISO } from "../db/schema";
import { rupeesToPaise } from "../domain/money";
import type { CustomerChunk, LoanChunk } from "./messages";
import type { ExistingLoan } from "./plan-loans";
import type { CustomerRow, LoanRow } from "./rows";

/*
 * Data access of ingestion. A chunk's lists and rows are bound as one JSON text each
 * (src/db/json-rows.ts), so a statement stays within D1's 100 bound parameters however long the
 * chunk; all statements of one chunk go into one atomic batch (one round trip), so a chunk lands
 * whole or not at all.
 */

/** D1's bound parameters per statement, for the statements that still bind a value each. */
export const MAX_PARAMS = 100;

export type Statement = BatchItem<"sqlite">;
export type ChunkKind = "customers" | "loans";

/**
 * An upsert's `SET` for these columns: each takes the value the insert proposed (`excluded.`),
 * named from the schema so a renamed column cannot drift from its upsert.
 */
export function takeProposed<K extends string>(columns: Record<K, SQLiteColumn>): Record<K, SQL> {
  const set = {} as Record<K, SQL>;
  for (const key of Object.keys(columns) as K[]) {
    set[key] = sql`excluded.${sql.identifier(columns[key].name)}`;
  }
  return set;
}

export function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size));
  return out;
}

/** Runs statements as one atomic batch (D1's batch is one implicit transaction). */
export async function runAtomically(db: Database, statements: Statement[]): Promise<unknown[]> {
  const [first, ...rest] = statements;
  if (!first) return [];
  return db.batch([first, ...rest]);
}

/** A customer chunk's reads: stored customers with one of its ids or phone numbers. */
export function customerChunkLookups(db: Database, rows: readonly CustomerRow[]) {
  const columns = { id: customers.id, phoneNumber: customers.phoneNumber };
  const ids = jsonList(rows.map((row) => row.customer_id));
  const phones = jsonList(rows.map((row) => row.phone_number));
  return [
    db.select(columns).from(customers).where(inArray(customers.id, ids)),
    db.select(columns).from(customers).where(inArray(customers.phoneNumber, phones)),
  ] as const;
}

/**
 * Whether this chunk has landed already. A redelivery of a landed chunk writes nothing: the same
 * rows planned again could land otherwise than the report says (a loan whose customer was
 * rejected as unknown on the last delivery, and has landed since).
 */
export function landedChunkLookup(db: Database, { job_id, seq }: { job_id: string; seq: number }) {
  return db
    .select({ seq: ingestChunks.seq })
    .from(ingestChunks)
    .where(
      and(
        eq(ingestChunks.jobId, job_id),
        eq(ingestChunks.seq, seq),
        eq(ingestChunks.status, "landed"),
      ),
    );
}

/** A customer chunk's reads, in one round trip: whether it landed before, and the stored customers. */
export async function readCustomersForChunk(db: Database, chunk: CustomerChunk) {
  const [landed, ...stored] = (await runAtomically(db, [
    landedChunkLookup(db, chunk),
    ...customerChunkLookups(db, chunk.rows),
  ])) as [unknown[], ...{ id: number; phoneNumber: number }[][]];
  return { landedBefore: landed.length > 0, customers: stored.flat() };
}

/**
 * A loan chunk's reads: which of its customers are stored, and the stored loans that have one of
 * its Loan IDs as their id or as their source id. With `countLoans`, each customer's stored loans
 * are counted too (for the bound on a customer's loans: plan-loans.ts); the consumer asks for that
 * only once the database has refused a write for the bound, as counting costs a walk of every
 * customer's index entries on each chunk (8–12 ms more for 500 customers of 10 loans: far more
 * than the trigger that holds the bound, docs/performance.md).
 */
export function loanChunkLookups(db: Database, rows: readonly LoanRow[], countLoans = false) {
  const customerIds = jsonList([...new Set(rows.map((row) => row.customer_id))]);
  const loanIds = jsonList([...new Set(rows.map((row) => row.loan_id))]);
  // The terms and payment count too: a re-ingested row may not change a loan that took payments.
  const columns = {
    id: loans.id,
    customerId: loans.customerId,
    sourceLoanId: loans.sourceLoanId,
    apiPayments: loans.apiPayments,
    loanAmountPaise: loans.loanAmountPaise,
    interestRateBp: loans.interestRateBp,
    tenure: loans.tenure,
    startDate: loans.startDate,
    endDate: loans.endDate,
    workbookEmisPaidOnTime: loans.workbookEmisPaidOnTime,
  };
  return [
    db
      .select({
        id: customers.id,
        // Through loans_customer_id_idx: a count of index entries, the customer's loans only. The
        // outer id named with its table: drizzle writes a lone table's columns unqualified.
        // Named: D1 hands a row over as an object, where a column named `0` would come first.
        loans: (countLoans
          ? sql<number>`(SELECT count(*) FROM ${loans} AS n WHERE n.${sql.identifier(loans.customerId.name)} = ${customers}.${sql.identifier(customers.id.name)})`
          : sql<number>`0`
        ).as("loans"),
      })
      .from(customers)
      .where(inArray(customers.id, customerIds)),
    db.select(columns).from(loans).where(inArray(loans.id, loanIds)),
    db.select(columns).from(loans).where(inArray(loans.sourceLoanId, loanIds)),
  ] as const;
}

/**
 * A loan chunk's reads, in one round trip: whether it landed before, its customers (with their
 * loans counted, or 0 each: `loanChunkLookups`) and its stored loans.
 */
export async function readLoansForChunk(db: Database, chunk: LoanChunk, countLoans = false) {
  const [landed, customerRows, byId, bySourceId] = (await runAtomically(db, [
    landedChunkLookup(db, chunk),
    ...loanChunkLookups(db, chunk.rows, countLoans),
  ])) as [unknown[], { id: number; loans: number }[], ExistingLoan[], ExistingLoan[]];
  return {
    landedBefore: landed.length > 0,
    customerLoans: new Map(customerRows.map((row) => [row.id, Number(row.loans)])),
    loans: [...new Map([...byId, ...bySourceId].map((loan) => [loan.id, loan])).values()],
  };
}

/**
 * A customer the workbook already delivered takes the workbook's details again (its id is the key).
 * Only the same person: an id held by another phone number was free at the chunk's read and taken
 * since (a registration gets the next free id), so the update fails on phone_number's NOT NULL,
 * the chunk is retried, and its next read rejects the row instead of merging two people.
 */
export const CUSTOMER_ON_REINGEST = {
  target: customers.id,
  set: {
    ...takeProposed({
      firstName: customers.firstName,
      lastName: customers.lastName,
      age: customers.age,
      monthlySalaryPaise: customers.monthlySalaryPaise,
      approvedLimitPaise: customers.approvedLimitPaise,
    }),
    phoneNumber: sql`CASE WHEN ${customers.phoneNumber} = excluded.phone_number THEN excluded.phone_number END`,
  },
};

/** Every column of a new customer from its JSON array (as `upsertCustomers` writes it). */
const FROM_CUSTOMER_VALUES = {
  id: element(0),
  firstName: element(1),
  lastName: element(2),
  age: element(3),
  phoneNumber: element(4),
  monthlySalaryPaise: element(5),
  approvedLimitPaise: element(6),
  createdAt: NOW_ISO,
};

/** One statement for the chunk: its rows bound as one JSON text (src/db/json-rows.ts). */
export function upsertCustomers(db: Database, rows: readonly CustomerRow[]): Statement[] {
  if (rows.length === 0) return [];
  const values = rows.map((row) => [
    row.customer_id,
    row.first_name,
    row.last_name,
    row.age,
    row.phone_number,
    rupeesToPaise(row.monthly_salary),
    rupeesToPaise(row.approved_limit),
  ]);
  return [
    db
      .insert(customers)
      .select(jsonArraysSelect(customers, values, FROM_CUSTOMER_VALUES))
      .onConflictDoUpdate(CUSTOMER_ON_REINGEST),
  ];
}
