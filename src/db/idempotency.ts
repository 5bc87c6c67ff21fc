import { and, eq, gte, lt, type Placeholder, type SQL, sql } from "drizzle-orm";
import type { Database } from "./database";
import { deleteOldestBefore } from "./delete-oldest";
import { batchableOnce, type Placeholders } from "./prepared";
import { decisionRecords, idempotencyKeys } from "./schema";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export function selectLiveIdempotencyRecord(
  db: Database,
  key: string | Placeholder<"key">,
  nowMs: number | Placeholder<"nowMs">,
) {
  return db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.key, key), gte(idempotencyKeys.expiresAt, nowMs)))
    .limit(1);
}

/** A key's live record, for a write's read batch: built once (src/db/prepared.ts). */
export function liveIdempotencyRecord(db: Database, key: string, nowMs: number) {
  return batchableLiveRecord(db, { key, nowMs });
}

const batchableLiveRecord = batchableOnce((db, value: Placeholders<"key" | "nowMs">) =>
  selectLiveIdempotencyRecord(db, value("key"), value("nowMs")),
);

/**
 * Removes this key's record if it has expired, in the same batch as the insert that reuses the
 * key: an expired record counts as absent whether or not the scheduled sweep has reached it yet.
 * A live record stays, and the insert then fails on the key's uniqueness as it should.
 */
export function deleteKeyIfExpired(db: Database, key: string, nowMs: number) {
  return batchableKeyDelete(db, { key, nowMs });
}

const batchableKeyDelete = batchableOnce((db, value: Placeholders<"key" | "nowMs">) =>
  db
    .delete(idempotencyKeys)
    .where(
      and(eq(idempotencyKeys.key, value("key")), lt(idempotencyKeys.expiresAt, value("nowMs"))),
    ),
);

/** Deletes up to `limit` expired records, oldest first; the scheduled sweep's, never a request's. */
export function deleteExpiredKeys(db: Database, nowMs: number, limit: number) {
  const columns = { key: idempotencyKeys.key, age: idempotencyKeys.expiresAt };
  return deleteOldestBefore(db, idempotencyKeys, columns, nowMs, limit);
}

/** A write's Idempotency-Key and its request's hash: the same key and hash replay the first answer. */
export interface Idempotency {
  key: string;
  requestHash: string;
}

export interface StoredResponse extends Idempotency {
  status: number;
  body: string;
  expiresAt: number;
}

/** The answer to keep under the request's key until the key expires; null without a key. */
export function responseToStore(
  idempotency: Idempotency | null,
  status: number,
  body: unknown,
  nowMs: number,
): StoredResponse | null {
  if (idempotency === null) return null;
  const { key, requestHash } = idempotency;
  return {
    key,
    requestHash,
    status,
    body: JSON.stringify(body),
    expiresAt: nowMs + IDEMPOTENCY_TTL_MS,
  };
}

/** A stored response's values as its inserts bind them. */
function responseValues(response: StoredResponse) {
  const { key, requestHash, status, body, expiresAt } = response;
  return { key, requestHash, status, body, expiresAt };
}

/**
 * A stored response's insert with its values as placeholders, built once (src/db/prepared.ts):
 * the inserts differ only in the loan id and what follows the values (a FROM, a condition).
 */
function responseInsert(
  db: Database,
  value: Placeholders<keyof StoredResponse>,
  loanId: SQL,
  rest: SQL,
) {
  return db.insert(idempotencyKeys).select(sql`
    SELECT ${value("key")}, ${value("requestHash")}, ${value("status")},
      ${value("body")}, ${loanId}, ${value("expiresAt")} ${rest}`);
}

/** Records a response that booked nothing. Fails with a UNIQUE error if the key is taken. */
export function insertResponse(db: Database, response: StoredResponse) {
  return batchableResponseInsert(db, responseValues(response));
}

const batchableResponseInsert = batchableOnce((db, value: Placeholders<keyof StoredResponse>) =>
  responseInsert(db, value, sql`NULL`, sql.empty()),
);

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
  return batchableResponseAfterBooking(db, { ...responseValues(response), decisionId });
}

const batchableResponseAfterBooking = batchableOnce(
  (db, value: Placeholders<keyof StoredResponse | "decisionId">) =>
    responseInsert(
      db,
      value,
      sql`d.loan_id`,
      sql`FROM ${decisionRecords} AS d WHERE d.id = ${value("decisionId")}`,
    ),
);

/**
 * Records a write's response in the same batch right after the write it answers: only if that
 * write changed a row (`changes() = 1`). make-payment's; replays find the payment by its key.
 */
export function insertResponseAfterChange(db: Database, response: StoredResponse) {
  return batchableResponseAfterChange(db, responseValues(response));
}

const batchableResponseAfterChange = batchableOnce(
  (db, value: Placeholders<keyof StoredResponse>) =>
    responseInsert(db, value, sql`NULL`, sql`WHERE changes() = 1`),
);

/** register's response, stored before the customer has an id: the body's text after that id. */
export interface RegistrationResponse extends Idempotency {
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
  const { key, requestHash, bodyAfterId, expiresAt } = response;
  return batchableResponseAfterRegistering(db, { key, requestHash, bodyAfterId, expiresAt });
}

const batchableResponseAfterRegistering = batchableOnce(
  (db, value: Placeholders<keyof RegistrationResponse>) =>
    db.insert(idempotencyKeys).select(sql`
    SELECT ${value("key")}, ${value("requestHash")}, 201,
      '{"customer_id":' || last_insert_rowid() || ${value("bodyAfterId")}, NULL, ${value("expiresAt")}
    WHERE changes() = 1`),
);
