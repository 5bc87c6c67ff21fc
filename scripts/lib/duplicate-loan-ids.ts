/*
 * docs/ingestion.md#loan-ids: Loan IDs in the lender's file are not unique (29 appear twice, each time for another
 * customer). The first occurrence in file order keeps the id; every later occurrence is marked
 * `remap: true` so the database gives it a new id and keeps the file's id as `source_loan_id`.
 * A later row with the Loan ID *and* customer of an earlier one cannot be stored beside it:
 * `(source_loan_id, customer_id)` is the upsert key, so it used to overwrite the earlier loan
 * while both counted as landed. It is refused instead (`RepeatedLoan`), to be reported.
 * Marking depends only on file order, so re-reading the same file marks the same rows.
 */
import { repeatedLoanReason } from "../../src/ingest/plan-loans";
import type { LoanRow } from "../../src/ingest/rows";
import { FirstRowTable } from "./first-row-table";
import { RepeatedRow } from "./repeated-row";

/** A row whose Loan ID an earlier row already used, as listed in the ingest report. */
export interface RemappedLoan {
  row: number;
  customer_id: number;
  source_loan_id: number;
  /** The worksheet row that kept this Loan ID. */
  first_row: number;
}

/** A row repeating the Loan ID and customer of an earlier row: not sent, but reported. */
export class RepeatedLoan extends RepeatedRow {
  readonly field = "loan_id";

  constructor(
    row: number,
    readonly sourceLoanId: number,
    readonly customerId: number,
    /** The earlier row with the same Loan ID and customer. */
    earlierRow: number,
  ) {
    super(row, earlierRow);
  }

  get reason(): string {
    return repeatedLoanReason(this.sourceLoanId, this.customerId, this.earlierRow);
  }
}

/**
 * Marks duplicates one row at a time, for a reader that streams rows and cannot hold the file.
 * It remembers each distinct Loan ID's first row and customer, in a compact table off the JS heap
 * (first-row-table.ts): about 33 MB for a million ids; and the customers of the later rows
 * (as few as the remapped rows it lists anyway).
 */
export class DuplicateLoanIdMarker {
  readonly #firstRowByLoanId = new FirstRowTable();
  /** Loan ID → customer → row, for the later occurrences of a Loan ID. */
  readonly #laterRows = new Map<number, Map<number, number>>();
  readonly #remapped: RemappedLoan[] = [];

  /**
   * Returns the row unchanged, a copy marked `remap: true` if its Loan ID was seen before for
   * another customer, or a `RepeatedLoan` if that customer already had it.
   */
  mark(loan: LoanRow): LoanRow | RepeatedLoan {
    const firstRow = this.#firstRowByLoanId.get(loan.loan_id);
    if (firstRow === undefined) {
      this.#firstRowByLoanId.add(loan.loan_id, loan.row, loan.customer_id);
      if (loan.remap === undefined) return loan;
      // A stale mark from an earlier pass must not survive on a first occurrence.
      const { remap: _stale, ...unmarked } = loan;
      return unmarked;
    }
    const laterRows = this.#laterRows.get(loan.loan_id) ?? new Map<number, number>();
    const earlierRow =
      this.#firstRowByLoanId.customerOf(loan.loan_id) === loan.customer_id
        ? firstRow
        : laterRows.get(loan.customer_id);
    if (earlierRow !== undefined) {
      return new RepeatedLoan(loan.row, loan.loan_id, loan.customer_id, earlierRow);
    }
    laterRows.set(loan.customer_id, loan.row);
    this.#laterRows.set(loan.loan_id, laterRows);
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
  repeated: RepeatedLoan[];
} {
  const marker = new DuplicateLoanIdMarker();
  const marked: LoanRow[] = [];
  const repeated: RepeatedLoan[] = [];
  for (const loan of loans) {
    const outcome = marker.mark(loan);
    if (outcome instanceof RepeatedLoan) repeated.push(outcome);
    else marked.push(outcome);
  }
  return { loans: marked, remapped: [...marker.remapped], repeated };
}
