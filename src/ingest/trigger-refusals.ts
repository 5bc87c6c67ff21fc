import { databaseCauses } from "../db/errors";

/*
 * The ingest's writes that a database trigger refused, told apart by the trigger's RAISE message
 * (the migration named beside each), as D1, libSQL or the cluster's IPC pass it.
 */

/** Whether registering chunks failed because one differs from the chunk registered under its seq. */
export function isChunkConflict(error: unknown): boolean {
  return raisedByTrigger(error, "INGEST_CHUNK_CONFLICT"); // migrations/0005
}

/** Whether a chunk's landing was refused because another delivery of it landed first. */
export function isChunkLandedBefore(error: unknown): boolean {
  return raisedByTrigger(error, "INGEST_CHUNK_LANDED"); // migrations/0007
}

/**
 * Whether a loan chunk's write was refused because a new loan would take its customer past the
 * bound: planned from a read that another chunk's landing has made stale.
 */
export function isLoanBoundReached(error: unknown): boolean {
  return raisedByTrigger(error, "INGEST_LOAN_BOUND"); // migrations/0011
}

/**
 * Whether a loan chunk's write was refused because a loan it read without API payments took one
 * before the write: planned from a read that the payment has made stale.
 */
export function isLoanPaidMeanwhile(error: unknown): boolean {
  return raisedByTrigger(error, "LOAN_HAS_API_PAYMENTS"); // migrations/0013
}

/**
 * Whether the trigger's message is in the error's database causes: the bounded walk of
 * src/db/errors.ts, which skips drizzle's own error, as that one quotes the rows' values.
 */
function raisedByTrigger(error: unknown, marker: string): boolean {
  return databaseCauses(error).some((cause) => cause.message.includes(marker));
}
