/*
 * docs/ingestion.md#loan-ids: Loan IDs in the lender's file are not unique (29 appear twice, each time for another
 * customer). The first occurrence in file order keeps the id; every later occurrence is marked
 * `remap: true` so the database gives it a new id and keeps the file's id as `source_loan_id`.
 * Marking depends only on file order, so re-reading the same file marks the same rows.
 */
import type { LoanRow } from "../../src/ingest/rows";
import { FirstRowTable } from "./first-row-table";

/** A row whose Loan ID an earlier row already used, as listed in the ingest report. */
export interface RemappedLoan {
  row: number;
  customer_id: number;
  source_loan_id: number;
  /** The worksheet row that kept this Loan ID. */
  first_row: number;
}

/**
 * Marks duplicates one row at a time, for a reader that streams rows and cannot hold the file.
 * It remembers one number per distinct Loan ID (its first row), which is the least it can keep,
 * in a compact table off the JS heap (first-row-table.ts): about 25 MB for a million ids.
 */
export class DuplicateLoanIdMarker {
  readonly #firstRowByLoanId = new FirstRowTable();
  readonly #remapped: RemappedLoan[] = [];

  /** Returns the row unchanged, or a copy marked `remap: true` if its Loan ID was seen before. */
  mark(loan: LoanRow): LoanRow {
    const firstRow = this.#firstRowByLoanId.get(loan.loan_id);
    if (firstRow === undefined) {
      this.#firstRowByLoanId.add(loan.loan_id, loan.row);
      if (loan.remap === undefined) return loan;
      // A stale mark from an earlier pass must not survive on a first occurrence.
      const { remap: _stale, ...unmarked } = loan;
      return unmarked;
    }
    this.#remapped.push({
      row: loan.row,
      customer_id: loan.customer_id,
      source_loan_id: loan.loan_id,
      first_row: firstRow,
    });
    return { ...loan, remap: true };
  }

  /** Every row marked so far, in file order. */
  get remapped(): readonly RemappedLoan[] {
    return this.#remapped;
  }

  get distinctLoanIds(): number {
    return this.#firstRowByLoanId.size;
  }
}

/** Marks every later occurrence of a Loan ID in `loans` (given in file order). */
export function markDuplicateLoanIds(loans: readonly LoanRow[]): {
  loans: LoanRow[];
  remapped: RemappedLoan[];
} {
  const marker = new DuplicateLoanIdMarker();
  const marked = loans.map((loan) => marker.mark(loan));
  return { loans: marked, remapped: [...marker.remapped] };
}
