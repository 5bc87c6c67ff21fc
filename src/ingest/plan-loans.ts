import type { LoanRow } from "./rows";

/*
 * Pure: decides how each loan row of a chunk lands (the loan-id policy: docs/ingestion.md#loan-ids).
 * - A row whose (Loan ID, customer) is already stored updates that loan in place: same id.
 * - Otherwise a row keeps the workbook's Loan ID as its id when that id is free.
 * - A later duplicate of a Loan ID (`remap`), or a row whose id is taken by another loan, gets a
 *   new id from the database (above every existing one) and keeps the workbook's id as
 *   source_loan_id.
 * Rows to insert with their own id come first, so that an id assigned by the database cannot
 * take an id a later row of the same batch brings.
 */

export interface ExistingLoan {
  id: number;
  customerId: number;
  sourceLoanId: number | null;
}

export interface LoanPlan {
  /** Rows in write order, each with the id to write (null: the database assigns one). */
  write: { row: LoanRow; id: number | null }[];
  /** Rows that land under another id than their Loan ID; the consumer records where they went. */
  remapped: LoanRow[];
  /** Customers the chunk needs that are not stored yet: the chunk must wait and be retried. */
  missingCustomers: number[];
}

export function planLoans(
  rows: readonly LoanRow[],
  existingLoans: readonly ExistingLoan[],
  existingCustomerIds: ReadonlySet<number>,
): LoanPlan {
  const missingCustomers = [...new Set(rows.map((row) => row.customer_id))].filter(
    (id) => !existingCustomerIds.has(id),
  );
  const byNaturalKey = new Map(
    existingLoans.map((loan) => [naturalKey(loan.sourceLoanId, loan.customerId), loan]),
  );
  const takenIds = new Set(existingLoans.map((loan) => loan.id));

  const ownId: LoanPlan["write"] = [];
  const assignedId: LoanPlan["write"] = [];
  const remapped: LoanRow[] = [];
  for (const row of rows) {
    const stored = byNaturalKey.get(naturalKey(row.loan_id, row.customer_id));
    if (stored) {
      // Upserted on its natural key: the stored id stays whatever it is.
      assignedId.push({ row, id: null });
      if (stored.id !== row.loan_id) remapped.push(row);
    } else if (!row.remap && !takenIds.has(row.loan_id)) {
      ownId.push({ row, id: row.loan_id });
      takenIds.add(row.loan_id);
    } else {
      assignedId.push({ row, id: null });
      remapped.push(row);
    }
  }
  return { write: [...ownId, ...assignedId], remapped, missingCustomers };
}

function naturalKey(sourceLoanId: number | null, customerId: number): string {
  return `${sourceLoanId}:${customerId}`;
}
