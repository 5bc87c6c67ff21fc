import { percentToBasisPoints, rupeesToPaise } from "../domain/money";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../lib/loan-bound";
import type { Rejection } from "./plan-customers";
import { LENDER_HEADERS, type LoanRow } from "./rows";

/*
 * Pure: decides how each loan row of a chunk lands (the loan-id policy: docs/ingestion.md#loan-ids).
 * - A row whose (Loan ID, customer) is already stored updates that loan in place: same id.
 * - Otherwise a row keeps the workbook's Loan ID as its id when that id is free.
 * - A later duplicate of a Loan ID (`remap`), or a row whose id is taken by another loan, gets a
 *   new id from the database (above every existing one) and keeps the workbook's id as
 *   source_loan_id.
 * Rows to insert with their own id come first, so that an id assigned by the database cannot
 * take an id a later row of the same batch brings.
 * A chunk sent with `defer_new_ids` takes no new id: each row that would get one is deferred
 * instead, left out of the write for the client to send again once every row keeping its own
 * Loan ID has landed, so that no new id can take a Loan ID a row of the same run brings.
 * Planned with `noIdLeft` (the database has refused a new loan id: the largest is 2^53 - 1), each
 * row that would get a new id is listed in `withoutId` instead, for the consumer to reject; like
 * a deferred row it writes nothing, so it does not count towards its customer's bound either.
 * Rows whose customer is not stored are left out of the plan and listed apart: the consumer
 * retries the chunk for them, and on its last delivery rejects them alone.
 * A later row with the Loan ID and customer of an earlier row of the chunk is refused, as the
 * script refuses it: on the natural key it would overwrite that loan while both counted as landed.
 * A row that would change the terms of a stored loan that has taken API payments is refused too:
 * such a loan keeps its terms (loan-upsert.ts), and counting the row as landed told the operator a
 * correction had been applied when it had not. A row that repeats such a loan's terms is `kept`:
 * it lands as it stands, and nothing is written to it.
 * A new loan (one not stored on its natural key) that would take its customer past
 * LOANS_PER_CUSTOMER_AT_MOST, counting what is stored and the chunk's earlier new loans, is refused
 * alone; a re-ingested loan is no new loan and is never refused for it, even for a customer stored
 * past the bound before it existed.
 */

export interface ExistingLoan {
  id: number;
  customerId: number;
  sourceLoanId: number | null;
  /** Payments taken through the API: a loan with any keeps the terms they were made on. */
  apiPayments: number;
  loanAmountPaise: number;
  interestRateBp: number;
  tenure: number;
  startDate: string;
  endDate: string;
  /** The workbook's on-time count, frozen by the first API payment. */
  workbookEmisPaidOnTime: number;
}

export interface LoanPlan {
  /** Rows in write order, each with the id to write (null: the database assigns one). */
  write: { row: LoanRow; id: number | null }[];
  /**
   * Rows on a stored loan with API payments, repeating its terms: landed, not written (a write
   * to such a loan aborts the chunk's batch, migrations/0013).
   */
  kept: LoanRow[];
  /** Rows that land under another id than their Loan ID; the consumer records where they went. */
  remapped: LoanRow[];
  /** Rows whose customer is not stored (yet): not in `write`, nor in `remapped`. */
  unknownCustomer: LoanRow[];
  /** Rows repeating the Loan ID and customer of an earlier row of the chunk: refused. */
  repeated: Rejection[];
  /** Rows that would change the terms of a loan that has taken API payments: refused. */
  paidLoanChanged: Rejection[];
  /** Rows that would take a new id, in a chunk that defers them: not in `write`, nor `remapped`. */
  deferred: LoanRow[];
  /** New loans that would take their customer past LOANS_PER_CUSTOMER_AT_MOST: refused. */
  pastBound: Rejection[];
  /** Rows that would take a new id, planned with `noIdLeft`: not in `write`, nor `remapped`. */
  withoutId: LoanRow[];
}

/** Why a row repeating an earlier row's Loan ID and customer is refused (script and consumer). */
export function repeatedLoanReason(sourceLoanId: number, customerId: number, earlierRow: number) {
  return `repeats Loan ID ${sourceLoanId} of customer ${customerId} from row ${earlierRow}: a customer's loans cannot share a Loan ID, so only row ${earlierRow} is ingested`;
}

/** Why a new loan row past the bound is refused; `loans` is what the customer already has. */
export function loanBoundReason(customerId: number, loans: number): string {
  return `customer ${customerId} already has ${loans} loans, the most one customer may hold, booked or ingested, so this loan is not ingested`;
}

/**
 * `customerLoans`: each stored customer of the chunk with the number of loans stored for it (0
 * when they were not counted: the database still holds the bound); a customer not in it is unknown.
 */
export function planLoans(
  rows: readonly LoanRow[],
  existingLoans: readonly ExistingLoan[],
  customerLoans: ReadonlyMap<number, number>,
  { deferNewIds = false, noIdLeft = false }: { deferNewIds?: boolean; noIdLeft?: boolean } = {},
): LoanPlan {
  const unknownCustomer = rows.filter((row) => !customerLoans.has(row.customer_id));
  // Each customer's loans as the plan goes: stored, plus the chunk's new ones planned so far.
  const loansOf = new Map(customerLoans);
  const pastBound: Rejection[] = [];
  const byNaturalKey = new Map(
    existingLoans.map((loan) => [naturalKey(loan.sourceLoanId, loan.customerId), loan]),
  );
  const takenIds = new Set(existingLoans.map((loan) => loan.id));

  const ownId: LoanPlan["write"] = [];
  const assignedId: LoanPlan["write"] = [];
  const kept: LoanRow[] = [];
  const remapped: LoanRow[] = [];
  const repeated: Rejection[] = [];
  const paidLoanChanged: Rejection[] = [];
  const deferred: LoanRow[] = [];
  const withoutId: LoanRow[] = [];
  const firstRowOf = new Map<string, number>();
  for (const row of rows) {
    if (!customerLoans.has(row.customer_id)) continue;
    const key = naturalKey(row.loan_id, row.customer_id);
    const earlierRow = firstRowOf.get(key);
    if (earlierRow !== undefined) {
      const reason = repeatedLoanReason(row.loan_id, row.customer_id, earlierRow);
      repeated.push({ row: row.row, column: "loan_id", reason });
      continue;
    }
    firstRowOf.set(key, row.row);
    const stored = byNaturalKey.get(key);
    const changed = stored && stored.apiPayments > 0 ? changedTerms(row, stored) : [];
    if (stored && changed.length > 0) {
      paidLoanChanged.push({
        row: row.row,
        column: changed[0] ?? null,
        reason: paidLoanReason(stored, changed),
      });
    } else if (stored) {
      // Upserted on its natural key, unless payments keep it: the stored id stays whatever it is.
      if (stored.apiPayments > 0) kept.push(row);
      else assignedId.push({ row, id: null });
      if (stored.id !== row.loan_id) remapped.push(row);
    } else {
      const keepsItsId = !row.remap && !takenIds.has(row.loan_id);
      if (!keepsItsId && deferNewIds) {
        // Not landing now: sent again later, it meets the bound then.
        deferred.push(row);
        continue;
      }
      if (!keepsItsId && noIdLeft) {
        // Rejected for want of an id: it writes nothing, so it takes no room under the bound.
        withoutId.push(row);
        continue;
      }
      // A new loan: within the bound, or refused (it writes nothing, so it takes no id).
      const loans = loansOf.get(row.customer_id) ?? 0;
      if (loans >= LOANS_PER_CUSTOMER_AT_MOST) {
        const reason = loanBoundReason(row.customer_id, loans);
        pastBound.push({
          row: row.row,
          column: "customer_id",
          reason,
          customerId: row.customer_id,
        });
        continue;
      }
      loansOf.set(row.customer_id, loans + 1);
      if (keepsItsId) {
        ownId.push({ row, id: row.loan_id });
        takenIds.add(row.loan_id);
      } else {
        assignedId.push({ row, id: null });
        remapped.push(row);
      }
    }
  }
  return {
    write: [...ownId, ...assignedId],
    kept,
    remapped,
    unknownCustomer,
    repeated,
    paidLoanChanged,
    deferred,
    pastBound,
    withoutId,
  };
}

/**
 * The row's fields whose value differs from the stored loan's, in the row's column order. The
 * recorded `monthly_payment` is not among them: from the first API payment on, the loan holds its
 * schedule's instalment in its place, so the workbook's figure can no longer be compared.
 */
function changedTerms(row: LoanRow, stored: ExistingLoan): TermField[] {
  const differs: [TermField, boolean][] = [
    ["loan_amount", rupeesToPaise(row.loan_amount) !== stored.loanAmountPaise],
    ["tenure", row.tenure !== stored.tenure],
    ["interest_rate", percentToBasisPoints(row.interest_rate) !== stored.interestRateBp],
    ["emis_paid_on_time", row.emis_paid_on_time !== stored.workbookEmisPaidOnTime],
    ["start_date", row.start_date !== stored.startDate],
    ["end_date", row.end_date !== stored.endDate],
  ];
  return differs.filter(([, changed]) => changed).map(([field]) => field);
}

type TermField = keyof LoanRow & keyof typeof LENDER_HEADERS;

/** Names the changed fields by the workbook's headers, as the script names the row's column. */
function paidLoanReason(stored: ExistingLoan, changed: readonly TermField[]): string {
  const payments = stored.apiPayments === 1 ? "1 payment" : `${stored.apiPayments} payments`;
  const named = changed.map((field) => LENDER_HEADERS[field]).join(", ");
  return `loan ${stored.id} has taken ${payments} through the API, so it keeps the terms they were made on: this row's ${named} ${changed.length === 1 ? "differs" : "differ"} from the stored loan's and ${changed.length === 1 ? "is" : "are"} not applied`;
}

function naturalKey(sourceLoanId: number | null, customerId: number): string {
  return `${sourceLoanId}:${customerId}`;
}
