import { bookLoan, loadForBooking, recordRefusal } from "../../db/bookings";
import type { Database } from "../../db/database";
import { type Idempotency, responseToStore } from "../../db/idempotency";
import type { IdempotencyRecord, LoanRecord } from "../../db/schema";
import { assessLoanRequest } from "../../domain/assessment";
import type { Decision, LoanRequest } from "../../domain/decision";
import { loanEndDate } from "../../domain/loan-terms";
import { isCurrentServicedLoan } from "../../domain/servicing";
import type { AsOfAt } from "../../http/app-env";
import { idempotencyKeyReusedProblem, unknownCustomerProblem } from "../../lib/problem";
import { newDecisionRecord } from "../decisions/decision-record";
import { loansToDecideOn, toLoanRequest } from "../loan-request";
import { MAX_WRITE_ATTEMPTS, retriedWrite } from "../retried-write";
import { loanAsItStands } from "../servicing/loan-servicing";
import type { LoanRequestBody } from "../shared-schemas";
import { type CreateLoanResult, toCreateLoanResult } from "./loan-response";

/*
 * create-loan's use case: read, decide (pure), write, and the Idempotency-Key's replay. The
 * handler above it validates, hashes the body for the key, answers and reports the decision; the
 * data layer below it owns the two round trips.
 * Every decision is recorded in the write's batch (docs/decisions.md); its id is chosen here, so
 * the response carries it before the write.
 */

export interface BookingRequest {
  body: LoanRequestBody;
  idempotency: Idempotency | null;
  asOfAt: AsOfAt;
}

/** A booking's answer: the loan with its id and dates, or the refusal without them. */
type Answer =
  | { status: 201; result: CreateLoanResult & BookedFields }
  | { status: 200; result: CreateLoanResult & RefusedFields };
type BookedFields = { loan_id: number; loan_approved: true; start_date: string; end_date: string };
type RefusedFields = { loan_id: null; loan_approved: false; start_date: null; end_date: null };

export type BookingResult = Answer &
  /** Decided now; the decision counts once it is final (not an attempt a concurrent booking undid). */
  (
    | { replayed: false; decision: Decision }
    /** The first response of this Idempotency-Key, replayed. */
    | { replayed: true }
  );

export async function bookLoanRequest(
  db: Database,
  request: BookingRequest,
): Promise<BookingResult> {
  const { body, idempotency } = request;
  const loanRequest = toLoanRequest(body);
  // One id for the request: a decision the write-time guard refused is not recorded, only the
  // final one is.
  const decisionId = crypto.randomUUID();
  // A booking the guard refused (a concurrent booking changed the position) or whose key a twin
  // took first is decided again: the next read sees the new state, or replays the stored answer.
  return retriedWrite({
    attempts: MAX_WRITE_ATTEMPTS,
    attempt: () => attemptBooking(db, request, loanRequest, decisionId),
    replayCopy:
      idempotency &&
      (async () => {
        const { stored } = await loadForBooking(db, body.customer_id, idempotency.key, Date.now());
        return stored ? replay(stored, idempotency.requestHash) : null;
      }),
    conflictDetail:
      "Concurrent bookings for this customer kept changing its position. Retry the request.",
    contendedDetail:
      "Concurrent bookings for this customer kept changing its position, three times running, so this request booked nothing. Send it again with the same Idempotency-Key: that decides it on the customer's position as it is then, or answers with the booking a copy of it made meanwhile.",
  });
}

/** One read, decision and conditional write; null when a concurrent write got there first. */
async function attemptBooking(
  db: Database,
  request: BookingRequest,
  loanRequest: LoanRequest,
  decisionId: string,
): Promise<BookingResult | null> {
  const { body, idempotency } = request;
  const key = idempotency?.key ?? null;
  const borrower = await loadForBooking(db, body.customer_id, key, Date.now());
  const { customer, stored } = borrower;
  // A stored answer first: a retry of a booking made at 4,999 loans gets its 201, not the 409.
  if (stored && idempotency) return replay(stored, idempotency.requestHash);
  if (!customer) throw unknownCustomerProblem(body.customer_id);
  // The decision's time and date, read after the read. Read as the request arrived, before its
  // body, a booking whose body came after midnight started its loan the day before its decided_at.
  const nowMs = Date.now();
  const asOf = request.asOfAt(nowMs);
  // At the bound on a customer's loans: refused on the count, their loans not read.
  const loans = loansToDecideOn({ ...borrower, customer });

  // Each loan as it stands (view-loan's closed_on), which the record keeps and a replay reads.
  const standing = loans.map(loanAsItStands);
  const assessment = assessLoanRequest(customer, standing, loanRequest, asOf);
  const { credit, decision } = assessment;
  const endDate = loanEndDate(asOf, loanRequest.tenure);
  const result = toCreateLoanResult(body, credit.score, decision, asOf, endDate, decisionId);
  const record = newDecisionRecord({
    decisionId,
    customer,
    loans: standing,
    request: loanRequest,
    assessment,
    result,
    asOf,
    nowMs,
    idempotencyKey: key,
  });
  const status = decision.approved ? 201 : 200;
  const response = responseToStore(idempotency, status, result, nowMs);

  const booking = decision.approved && {
    loan: {
      customerId: customer.id,
      loanAmountPaise: loanRequest.loanAmountPaise,
      tenure: loanRequest.tenure,
      interestRateBp: decision.correctedInterestRateBp,
      monthlyPaymentPaise: decision.monthlyInstalmentPaise,
      startDate: asOf,
      endDate,
    },
    repaidByState: repaidByStateOnly(loans, standing, asOf),
  };

  const outcome = booking
    ? await bookLoan(db, booking.loan, record, response, nowMs, booking.repaidByState)
    : await recordRefusal(db, record, response, nowMs);

  if (outcome.kind === "booked") {
    // Booked means approved, so toCreateLoanResult filled in the dates; the id is the new row's.
    const booked = { ...result, loan_id: outcome.loanId } as CreateLoanResult & BookedFields;
    return { status: 201, result: booked, replayed: false, decision };
  }
  if (outcome.kind === "recorded") {
    const refused = result as CreateLoanResult & RefusedFields;
    return { status: 200, result: refused, replayed: false, decision };
  }
  return null; // guard-refused or key-taken
}

/**
 * The loans the decision found repaid (isCurrentServicedLoan) though their stored closed_on column says
 * not, for the write-time guard, which reads the column. The reverse cannot happen: migration 0003
 * set the column to the last due date, and the schedule repays a loan by then at the latest.
 */
function repaidByStateOnly(
  stored: readonly LoanRecord[],
  standing: readonly LoanRecord[],
  asOf: string,
): number[] {
  return stored
    .filter(
      (loan, index) =>
        standing[index] !== loan &&
        isCurrentServicedLoan(loan, asOf) &&
        !isCurrentServicedLoan(standing[index] ?? loan, asOf),
    )
    .map((loan) => loan.id);
}

function replay(stored: IdempotencyRecord, requestHash: string): BookingResult {
  if (stored.requestHash !== requestHash) {
    throw idempotencyKeyReusedProblem("body");
  }
  // The stored body was written before the loan had an id; the record keeps the id beside it.
  const result = { ...JSON.parse(stored.responseBody ?? "{}"), loan_id: stored.loanId };
  return { status: stored.responseStatus === 201 ? 201 : 200, result, replayed: true };
}
