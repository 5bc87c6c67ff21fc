import { inArray, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/database";
import { customers, loans } from "../db/schema";
import { rupeesToPaise } from "../domain/money";
import type { CustomerRow, LoanRow } from "./rows";

/*
 * Data access of ingestion. D1 allows at most 100 bound parameters per statement, so every list
 * is cut into statements that stay below it; all statements of one chunk go into one atomic
 * batch (one round trip), so a chunk lands whole or not at all.
 */

export const MAX_PARAMS = 100;
/** 7 bound values per customer row (loan rows: loan-upsert.ts). */
const CUSTOMER_ROWS_PER_STATEMENT = Math.floor(MAX_PARAMS / 7);
const IDS_PER_LOOKUP = MAX_PARAMS - 1;

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

export async function readCustomersForChunk(db: Database, rows: readonly CustomerRow[]) {
  const lookups: Statement[] = [
    ...slices(
      rows.map((row) => row.customer_id),
      IDS_PER_LOOKUP,
    ).map((ids) =>
      db
        .select({ id: customers.id, phoneNumber: customers.phoneNumber })
        .from(customers)
        .where(inArray(customers.id, ids)),
    ),
    ...slices(
      rows.map((row) => row.phone_number),
      IDS_PER_LOOKUP,
    ).map((phones) =>
      db
        .select({ id: customers.id, phoneNumber: customers.phoneNumber })
        .from(customers)
        .where(inArray(customers.phoneNumber, phones)),
    ),
  ];
  const results = (await runAtomically(db, lookups)) as { id: number; phoneNumber: number }[][];
  return results.flat();
}

export async function readLoansForChunk(db: Database, rows: readonly LoanRow[]) {
  const customerIds = [...new Set(rows.map((row) => row.customer_id))];
  const loanIds = [...new Set(rows.map((row) => row.loan_id))];
  const loanColumns = {
    id: loans.id,
    customerId: loans.customerId,
    sourceLoanId: loans.sourceLoanId,
  };
  const customerLookups = slices(customerIds, IDS_PER_LOOKUP).map((ids) =>
    db.select({ id: customers.id }).from(customers).where(inArray(customers.id, ids)),
  );
  const loanLookups = slices(loanIds, Math.floor(IDS_PER_LOOKUP / 2)).flatMap((ids) => [
    db.select(loanColumns).from(loans).where(inArray(loans.id, ids)),
    db.select(loanColumns).from(loans).where(inArray(loans.sourceLoanId, ids)),
  ]);
  const results = await runAtomically(db, [...customerLookups, ...loanLookups]);
  const customerRows = results.slice(0, customerLookups.length) as { id: number }[][];
  const loanRows = results.slice(customerLookups.length) as {
    id: number;
    customerId: number;
    sourceLoanId: number | null;
  }[][];
  return {
    customerIds: new Set(customerRows.flat().map((row) => row.id)),
    loans: [...new Map(loanRows.flat().map((loan) => [loan.id, loan])).values()],
  };
}

export function upsertCustomers(db: Database, rows: readonly CustomerRow[]): Statement[] {
  return slices(rows, CUSTOMER_ROWS_PER_STATEMENT).map((slice) =>
    db
      .insert(customers)
      .values(
        slice.map((row) => ({
          id: row.customer_id,
          firstName: row.first_name,
          lastName: row.last_name,
          age: row.age,
          phoneNumber: row.phone_number,
          monthlySalaryPaise: rupeesToPaise(row.monthly_salary),
          approvedLimitPaise: rupeesToPaise(row.approved_limit),
        })),
      )
      .onConflictDoUpdate({
        target: customers.id,
        set: takeProposed({
          firstName: customers.firstName,
          lastName: customers.lastName,
          age: customers.age,
          monthlySalaryPaise: customers.monthlySalaryPaise,
          approvedLimitPaise: customers.approvedLimitPaise,
        }),
      }),
  );
}
