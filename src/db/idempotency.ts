import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { Database } from "./database";
import { deleteOldestBefore } from "./delete-oldest";
import { decisionRecords, idempotencyKeys } from "./schema";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export function selectLiveIdempotencyRecord(db: Database, key: string, nowMs: number) {
  return db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.key, key), gte(idempotencyKeys.expiresAt, nowMs)))
    .limit(1);
}

/**
 * Removes this key's record if it has expired, in the same batch as the insert that reuses the
 * key: an expired record counts as absent whether or not the scheduled sweep has reached it yet.
 * A live record stays, and the insert then fails on the key's uniqueness as it should.
 */
export function deleteKeyIfExpired(db: Database, key: string, nowMs: number) {
  return db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.key, key), lt(idempotencyKeys.expiresAt, nowMs)));
}

/** Deletes up to `limit` expired records, oldest first; the scheduled sweep's, never a request's. */
export function deleteExpiredKeys(db: Database, nowMs: number, limit: number) {
  const columns = { key: idempotencyKeys.key, age: idempotencyKeys.expiresAt };
  return deleteOldestBefore(db, idempotencyKeys, columns, nowMs, limit);
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
 * Records the response of a booking, in the same batch right after the booking's decision record
 * (src/db/decisions.ts): it writes only if that record was written, which happens only if the
 * guarded loan insert added a row, and takes the new loan's id from it. A taken key fails the
 * batch, so the loan and its record are rolled back with it.
 */
export function insertResponseAfterBooking(
  db: Database,
  response: StoredResponse,
  decisionId: string,
) {
  return db.insert(idempotencyKeys).select(sql`
    SELECT ${response.key}, ${response.requestHash}, ${response.status}, ${response.body}, d.loan_id, ${response.expiresAt}
    FROM ${decisionRecords} AS d WHERE d.id = ${decisionId}`);
}

/** register's response, stored before the customer has an id: the body's text after that id. */
export interface RegistrationResponse {
  key: string;
  requestHash: string;
  /** `,"name":…}`: the response body once `{"customer_id":<id>` is put in front of it. */
  bodyAfterId: string;
  expiresAt: number;
}

/**
 * Records register's 201 in the same batch right after the customer's insert: it writes only if
 * that insert added a row (a phone number on file adds none), and puts the new id in the body.
 * A taken key fails the batch, so the customer is rolled back with it.
 */
export function insertResponseAfterRegistering(db: Database, response: RegistrationResponse) {
  return db.insert(idempotencyKeys).select(sql`
    SELECT ${response.key}, ${response.requestHash}, 201,
      '{"customer_id":' || last_insert_rowid() || ${response.bodyAfterId}, NULL, ${response.expiresAt}
    WHERE changes() = 1`);
}
