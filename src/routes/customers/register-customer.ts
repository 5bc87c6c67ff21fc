import { type NewCustomer, registerCustomer } from "../../db/customers";
import type { Database } from "../../db/database";
import {
  IDEMPOTENCY_TTL_MS,
  type Idempotency,
  selectLiveIdempotencyRecord,
} from "../../db/idempotency";
import type { IdempotencyRecord } from "../../db/schema";
import { conflictProblem, idempotencyKeyReusedProblem, ProblemError } from "../../lib/problem";
import { type CustomerResponse, toCustomerResponse } from "./customer-response";

/*
 * register's use case: write first (one round trip, as without a key), and read the key's stored
 * response only when nothing was written: a phone number on file may be a copy of this request's.
 */

export interface RegistrationRequest {
  customer: NewCustomer;
  idempotency: Idempotency | null;
}

export interface RegistrationOutcome {
  result: CustomerResponse;
  replayed: boolean;
}

export async function registerRequest(
  db: Database,
  { customer, idempotency }: RegistrationRequest,
): Promise<RegistrationOutcome> {
  const nowMs = Date.now();
  const response = idempotency && {
    ...idempotency,
    bodyAfterId: responseBodyAfterId(customer),
    expiresAt: nowMs + IDEMPOTENCY_TTL_MS,
  };
  const registration = await registerCustomer(db, customer, response, nowMs);
  if (registration.kind === "registered") {
    return { result: toCustomerResponse(registration.customer), replayed: false };
  }

  if (idempotency) {
    const [stored] = await selectLiveIdempotencyRecord(db, idempotency.key, Date.now());
    if (stored) return replay(stored, idempotency.requestHash);
  }
  if (registration.kind === "key-taken") {
    // The key's record was live at the write and has expired since: a retry finds it free.
    throw conflictProblem("This Idempotency-Key was in use a moment ago. Retry the request.", 1);
  }
  throw new ProblemError({
    kind: "conflict",
    detail: "A customer with this phone number is already registered.",
    errors: [{ field: "phone_number", message: "is already on file" }],
  });
}

/** The response body's text after `{"customer_id":<id>`, for the write to complete with the id. */
function responseBodyAfterId(customer: NewCustomer): string {
  const { customer_id: _unknownYet, ...rest } = toCustomerResponse({ ...customer, id: 0 });
  return `,${JSON.stringify(rest).slice(1)}`;
}

function replay(stored: IdempotencyRecord, requestHash: string): RegistrationOutcome {
  if (stored.requestHash !== requestHash) throw idempotencyKeyReusedProblem("body");
  return { result: JSON.parse(stored.responseBody) as CustomerResponse, replayed: true };
}
