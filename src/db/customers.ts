import { type Placeholder, sql } from "drizzle-orm";
import type { Database } from "./database";
import { unlessKeyTaken } from "./errors";
import {
  deleteKeyIfExpired,
  insertResponseAfterRegistering,
  type RegistrationResponse,
} from "./idempotency";
import { batchableOnce, type Placeholders, preparedOnce } from "./prepared";
import { type CustomerRecord, customers } from "./schema";

export interface NewCustomer {
  firstName: string;
  lastName: string;
  age: number;
  phoneNumber: number;
  monthlySalaryPaise: number;
  approvedLimitPaise: number;
}

/** The customer's insert, unless the phone number is already on file: then it adds no row. */
function insertUnlessOnFile(
  db: Database,
  customer: { [Field in keyof NewCustomer]: NewCustomer[Field] | Placeholder<Field> },
) {
  return db
    .insert(customers)
    .values(customer)
    .onConflictDoNothing({ target: customers.phoneNumber })
    .returning();
}

/** The customer's values as placeholders, for the insert built once per database object. */
const CUSTOMER_PLACEHOLDERS = {
  firstName: sql.placeholder("firstName"),
  lastName: sql.placeholder("lastName"),
  age: sql.placeholder("age"),
  phoneNumber: sql.placeholder("phoneNumber"),
  monthlySalaryPaise: sql.placeholder("monthlySalaryPaise"),
  approvedLimitPaise: sql.placeholder("approvedLimitPaise"),
};

/**
 * register's one statement without a key, built once per database object: drizzle building this
 * insert cost about as much CPU as SQLite writing the row (docs/performance.md, round 22).
 */
const preparedInsertUnlessOnFile = preparedOnce((db, _value: Placeholders<keyof NewCustomer>) =>
  insertUnlessOnFile(db, CUSTOMER_PLACEHOLDERS),
);

/** The same insert for the batch that also stores the response under an Idempotency-Key. */
const batchableInsertUnlessOnFile = batchableOnce(
  // CUSTOMER_PLACEHOLDERS, made once and shared: insertUnlessOnFile's type has each one named
  // after its field, and `_value`'s type names them for the values.
  (db, _value: Placeholders<keyof NewCustomer>) => insertUnlessOnFile(db, CUSTOMER_PLACEHOLDERS),
);

export type Registration =
  | { kind: "registered"; customer: CustomerRecord }
  /** The phone number is on file (perhaps registered by a copy of this request): nothing written. */
  | { kind: "phone-on-file" }
  /** The Idempotency-Key is another request's, still live: nothing written. */
  | { kind: "key-taken" };

/**
 * Registers a customer in one round trip: one statement (no race between a check and the insert),
 * or, with an Idempotency-Key, one atomic batch that also stores the response under the key.
 */
export async function registerCustomer(
  db: Database,
  customer: NewCustomer,
  response: RegistrationResponse | null,
  nowMs: number,
): Promise<Registration> {
  return unlessKeyTaken(async () => {
    const inserted = response
      ? (
          await db.batch([
            deleteKeyIfExpired(db, response.key, nowMs),
            batchableInsertUnlessOnFile(db, { ...customer }),
            insertResponseAfterRegistering(db, response),
          ])
        )[1]
      : await preparedInsertUnlessOnFile(db).all({ ...customer });
    const row = inserted[0];
    return row ? { kind: "registered", customer: row } : { kind: "phone-on-file" };
  });
}
