import type { Database } from "../../db/database";
import { type Idempotency, responseToStore } from "../../db/idempotency";
import {
  loadForPayment,
  type PaymentToRecord,
  recordPayment,
  type StoredPaymentResponse,
} from "../../db/payments";
import { applyPayment } from "../../domain/payment";
import type { AsOfAt } from "../../http/app-env";
import { customerHasNoLoanProblem, idempotencyKeyReusedProblem } from "../../lib/problem";
import { MAX_WRITE_ATTEMPTS, retriedWrite } from "../retried-write";
import { servicedLoanOf, servicingStateOf } from "./loan-servicing";
import { type PaymentResult, paymentRefusalProblem, toPaymentResult } from "./servicing-response";

/*
 * make-payment's use case: read (one round trip), decide (the pure engine), write (one atomic,
 * conditional batch), and the Idempotency-Key's replay. A payment without a key that loses a race
 * to another payment on the same loan writes nothing and answers 409: a retry applies it to the
 * new state. One with a key is decided again on the new state (a few times at most): a copy of it
 * may still be in flight, and a 409 here while that copy is recorded gave one key two answers.
 */

export interface PaymentRequest {
  customerId: number;
  loanId: number;
  amountPaise: number;
  /** Its request hash covers the path and the body. */
  idempotency: Idempotency | null;
  asOfAt: AsOfAt;
}

export interface PaymentOutcome {
  result: PaymentResult;
  replayed: boolean;
}

export async function makePaymentRequest(
  db: Database,
  request: PaymentRequest,
): Promise<PaymentOutcome> {
  const { customerId, loanId, idempotency } = request;
  return retriedWrite({
    attempts: idempotency ? MAX_WRITE_ATTEMPTS : 1,
    attempt: () => attemptPayment(db, request),
    // What moved the loan last may be a copy of this request: its answer is this one's (or 422
    // for another body). Without a key nothing can answer for it: a 409.
    replayCopy:
      idempotency &&
      (async () => {
        const { stored } = await loadForPayment(
          db,
          customerId,
          loanId,
          idempotency.key,
          Date.now(),
        );
        return stored ? replay(stored, idempotency.requestHash) : null;
      }),
    conflictDetail:
      "Another payment on this loan, or a workbook correction of its terms, was recorded at the same time, so this one was not. Retry it: it applies to the loan as it is now.",
    contendedDetail:
      "Other payments on this loan, or workbook corrections of its terms, were recorded at the same time, each before this one, three times running, so this request did not record it. Send it again with the same Idempotency-Key: that records it on the loan as it is then, or answers with the payment a copy of it recorded meanwhile.",
  });
}

/** One read, decision and conditional write; null when another payment moved the loan first. */
async function attemptPayment(
  db: Database,
  request: PaymentRequest,
): Promise<PaymentOutcome | null> {
  const { customerId, loanId, amountPaise, idempotency } = request;
  const key = idempotency?.key ?? null;
  const { loan, stored } = await loadForPayment(db, customerId, loanId, key, Date.now());
  if (stored && idempotency) return replay(stored, idempotency.requestHash);
  if (!loan) throw customerHasNoLoanProblem(customerId, loanId);
  // Dated after the read: a payment it read was dated before that, so never after this one. Dated
  // as the request arrived, one whose body came after midnight read one recorded after midnight
  // meanwhile, and was refused BEFORE_LAST_PAYMENT as if the as-of date had been moved back.
  const nowMs = Date.now();
  const asOf = request.asOfAt(nowMs);

  const serviced = servicedLoanOf(loan);
  // A loan stored before model 2026-12.9 whose schedule runs past 9999-12-31 starts in 9950 or
  // later, after any as-of date the app accepts: it is refused (LOAN_NOT_STARTED, or LOAN_CLOSED
  // with a payment's date) before any due date is computed.
  const outcome = applyPayment(
    serviced,
    servicingStateOf(loan),
    { amountPaise, paidOn: asOf },
    loan.lastPaidOn,
  );
  if (!outcome.accepted) throw paymentRefusalProblem(outcome.refusal);

  const { entry, state } = outcome;
  const result = toPaymentResult({
    customerId,
    loanId,
    amountPaise,
    paidOn: asOf,
    receipt: outcome.receipt,
  });
  const payment: PaymentToRecord = {
    loanId,
    customerId,
    expectedLoan: loan,
    period: entry.period,
    paidOn: entry.paidOn,
    amountPaise: entry.amountPaise,
    interestPaise: entry.interestPaise,
    principalPaise: entry.principalPaise,
    balanceAfterPaise: entry.balanceAfterPaise,
    onTime: entry.onTime,
    loanAfter: state,
    recordedEmisPaidOnTime: serviced.recordedEmisPaidOnTime,
    idempotencyKey: key,
  };
  const response = responseToStore(idempotency, 201, result, nowMs);

  const written = await recordPayment(db, payment, response, nowMs);
  if (written.kind !== "recorded") return null;
  return { result: { ...result, payment_id: written.paymentId }, replayed: false };
}

function replay(stored: StoredPaymentResponse, requestHash: string): PaymentOutcome {
  if (stored.record.requestHash !== requestHash || stored.paymentId === null) {
    throw idempotencyKeyReusedProblem("request");
  }
  // The stored body was written before the payment had an id; the payment row keeps the key.
  const result = { ...JSON.parse(stored.record.responseBody), payment_id: stored.paymentId };
  return { result, replayed: true };
}
