import type { Rejection } from "./plan-customers";
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
 * Rows whose customer is not stored are left out of the plan and listed apart: the consumer
 * retries the chunk for them, and on its last delivery rejects them alone.
 * A later row with the Loan ID and customer of an earlier row of the chunk is refused, as the
 * script refuses it: on the natural key it would overwrite that loan while both counted as landed.
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
  /** Rows whose customer is not stored (yet): not in `write`, nor in `remapped`. */
  unknownCustomer: LoanRow[];
  /** Rows repeating the Loan ID and customer of an earlier row of the chunk: refused. */
  repeated: Rejection[];
}

/** Why a row repeating an earlier row's Loan ID and customer is refused (script and consumer). */
export function repeatedLoanReason(sourceLoanId: number, customerId: number, earlierRow: number) {
  return `repeats Loan ID ${sourceLoanId} of customer ${customerId} from row ${earlierRow}: a customer's loans cannot share a Loan ID, so only row ${earlierRow} is ingested`;
}

export function planLoans(
  rows: readonly LoanRow[],
  existingLoans: readonly ExistingLoan[],
  existingCustomerIds: ReadonlySet<number>,
): LoanPlan {
  const unknownCustomer = rows.filter((row) => !existingCustomerIds.has(row.customer_id));
  const byNaturalKey = new Map(
    existingLoans.map((loan) => [naturalKey(loan.sourceLoanId, loan.customerId), loan]),
  );
  const takenIds = new Set(existingLoans.map((loan) => loan.id));

  const ownId: LoanPlan["write"] = [];
  const assignedId: LoanPlan["write"] = [];
  const remapped: LoanRow[] = [];
  const repeated: Rejection[] = [];
  const firstRowOf = new Map<string, number>();
  for (const row of rows) {
    if (!existingCustomerIds.has(row.customer_id)) continue;
    const key = naturalKey(row.loan_id, row.customer_id);
    const earlierRow = firstRowOf.get(key);
    if (earlierRow !== undefined) {
      const reason = repeatedLoanReason(row.loan_id, row.customer_id, earlierRow);
      repeated.push({ row: row.row, column: "loan_id", reason });
      continue;
    }
    firstRowOf.set(key, row.row);
    const stored = byNaturalKey.get(key);
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
  return { write: [...ownId, ...assignedId], remapped, unknownCustomer, repeated };
}

function naturalKey(sourceLoanId: number | null, customerId: number): string {
  return `${sourceLoanId}:${customerId}`;
}
