import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "./client";
import { idempotencyKeys } from "./schema";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Expired keys removed by each keyed write: bounded work, no cron needed. */
const EXPIRED_KEYS_SWEPT_PER_WRITE = 20;

export function selectLiveIdempotencyRecord(db: Database, key: string, nowMs: number) {
  return db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.key, key), gte(idempotencyKeys.expiresAt, nowMs)))
    .limit(1);
}

export function sweepExpiredKeys(db: Database, nowMs: number) {
  const expired = db
    .select({ key: idempotencyKeys.key })
    .from(idempotencyKeys)
    .where(lt(idempotencyKeys.expiresAt, nowMs))
    .limit(EXPIRED_KEYS_SWEPT_PER_WRITE);
  return db.delete(idempotencyKeys).where(inArray(idempotencyKeys.key, expired));
}

export interface StoredResponse {
  key: string;
  requestHash: string;
  status: number;
  body: string;
  expiresAt: number;
}

/** Records a response that booked nothing. Fails with a UNIQUE error if the key is taken. */
export function insertResponse(db: Database, response: StoredResponse) {
  return db.insert(idempotencyKeys).values({
    key: response.key,
    requestHash: response.requestHash,
    responseStatus: response.status,
    responseBody: response.body,
    expiresAt: response.expiresAt,
  });
}

/**
 * Records the response of a booking, in the same batch right after the guarded loan insert: it
 * writes only if that insert added a row (`changes() = 1`), and takes the new loan's id from
 * `last_insert_rowid()`. A taken key fails the batch, so the loan is rolled back with it.
 */
export function insertResponseAfterBooking(db: Database, response: StoredResponse) {
  return db.insert(idempotencyKeys).select(sql`
    SELECT ${response.key}, ${response.requestHash}, ${response.status}, ${response.body}, last_insert_rowid(), ${response.expiresAt}
    WHERE changes() = 1`);
}
