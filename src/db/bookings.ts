import type { Database } from "./database";
import { toStoredInputs } from "./decision-inputs";
import {
  insertDecisionAfterBooking,
  insertRefusedDecision,
  type NewDecisionRecord,
} from "./decisions";
import { unlessKeyTaken } from "./errors";
import {
  deleteKeyIfExpired,
  insertResponse,
  insertResponseAfterBooking,
  liveIdempotencyRecord,
  type StoredResponse,
} from "./idempotency";
import {
  type BorrowerToDecide,
  borrowerToDecide,
  insertLoanIfAffordable,
  type LoanToBook,
  loadBorrowerToDecide,
  toBorrowerToDecide,
} from "./loans";
import type { IdempotencyRecord } from "./schema";

/*
 * create-loan's two round trips: one read of everything the decision needs (a batch when the
 * stored response of an Idempotency-Key comes with it), one atomic batch to write the decision's
 * record and its inputs with the loan (for an approval) and the stored response (with a key).
 * An expired record of the key is replaced inside that batch; sweeping other expired keys is
 * scheduled work (src/db/maintenance.ts), so a request's rollback never undoes it.
 */

export async function loadForBooking(
  db: Database,
  customerId: number,
  idempotencyKey: string | null,
  nowMs: number,
): Promise<BorrowerToDecide & { stored: IdempotencyRecord | null }> {
  // Without a key, the borrower alone: one statement, prepared once (see loadBorrowerToDecide).
  if (idempotencyKey === null) {
    return { ...(await loadBorrowerToDecide(db, customerId)), stored: null };
  }
  const [borrowerRows, storedRows] = await db.batch([
    borrowerToDecide(db, customerId),
    liveIdempotencyRecord(db, idempotencyKey, nowMs),
  ]);
  return {
    ...toBorrowerToDecide(borrowerRows[0]),
    stored: (storedRows[0] ?? null) as IdempotencyRecord | null,
  };
}

export type WriteOutcome =
  | { kind: "booked"; loanId: number }
  | { kind: "recorded" }
  /** The guard found the limit or the 50 % rule broken by a concurrent booking: nothing written. */
  | { kind: "guard-refused" }
  /** A concurrent request with the same Idempotency-Key stored its response first: nothing written. */
  | { kind: "key-taken" };

export async function bookLoan(
  db: Database,
  loan: LoanToBook,
  record: NewDecisionRecord,
  response: StoredResponse | null,
  nowMs: number,
  repaidByState: readonly number[] = [],
): Promise<WriteOutcome> {
  const inputs = await toStoredInputs(record.inputs);
  return unlessKeyTaken(async () => {
    const inserted = response
      ? (
          await db.batch([
            deleteKeyIfExpired(db, response.key, nowMs),
            insertLoanIfAffordable(db, loan, repaidByState),
            ...insertDecisionAfterBooking(db, record, inputs),
            insertResponseAfterBooking(db, response, record.id),
          ])
        )[1]
      : (
          await db.batch([
            insertLoanIfAffordable(db, loan, repaidByState),
            ...insertDecisionAfterBooking(db, record, inputs),
          ])
        )[0];
    const loanId = inserted[0]?.id;
    return loanId === undefined ? { kind: "guard-refused" } : { kind: "booked", loanId };
  });
}

/** Records a refusal, and stores its response under its Idempotency-Key so a retry replays it. */
export async function recordRefusal(
  db: Database,
  record: NewDecisionRecord,
  response: StoredResponse | null,
  nowMs: number,
): Promise<WriteOutcome> {
  const inputs = await toStoredInputs(record.inputs);
  if (!response) {
    await db.batch(insertRefusedDecision(db, record, inputs));
    return { kind: "recorded" };
  }
  return unlessKeyTaken(async () => {
    await db.batch([
      deleteKeyIfExpired(db, response.key, nowMs),
      insertResponse(db, response),
      ...insertRefusedDecision(db, record, inputs),
    ]);
    return { kind: "recorded" };
  });
}
