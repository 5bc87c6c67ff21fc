import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  type LoanToPay,
  loadForPayment,
  loadStatement,
  recordPayment,
} from "../../src/db/payments";
import { loans, payments } from "../../src/db/schema";
import type { ProblemError } from "../../src/lib/problem";
import { makePaymentRequest } from "../../src/routes/servicing/make-payment";
import { backend } from "../support/backend";
import { registerCustomer } from "../support/http";
import { interleavedBatches } from "../support/interleaved-batches";
import { expectContendedRetry } from "../support/problem";
import { seedLoan } from "../support/seed";

/*
 * make-payment's write is conditional on the loan it read. A workbook re-ingest may change a loan's
 * terms while it has no API payment yet; a payment decided on the old terms must then write
 * nothing (and be retried on the new ones), never leave new terms beside an old balance.
 */

/** A new customer with a 12-month loan of ₹1,00,000 at 12 % from 2025-01-15. */
async function customerWithYearLoan() {
  const { customer_id: customerId } = await registerCustomer();
  const loanId = await seedLoan({
    customerId,
    amount: 100_000,
    rate: 12,
    tenure: 12,
    startDate: "2025-01-15",
    endDate: "2026-01-15",
  });
  return { customerId, loanId };
}

/** Period 1 of that loan paid in full on 2025-02-15, as make-payment would write it. */
function paymentOnPeriodOne(loanId: number, customerId: number, loan: LoanToPay) {
  return {
    loanId,
    customerId,
    expectedLoan: loan,
    period: 1,
    paidOn: "2025-02-15",
    amountPaise: 888_488,
    interestPaise: 100_000,
    principalPaise: 788_488,
    balanceAfterPaise: 9_211_512,
    onTime: true,
    loanAfter: {
      outstandingPrincipalPaise: 9_211_512,
      periodsSettled: 1,
      emiPaise: 888_488,
      monthlyInstalmentPaise: 888_488,
      emisPaidOnTime: loan.emisPaidOnTime + 1,
      closedOn: null,
    },
    recordedEmisPaidOnTime: loan.emisPaidOnTime,
    idempotencyKey: null,
  };
}

/**
 * Reads the loan, lets `reingest` change its row as the ingest upsert would, then writes period 1
 * as decided on the row read; says what the write did and how many payments the loan then has.
 */
async function payAcrossReingest(reingest: (loanId: number) => Promise<unknown>) {
  const { customerId, loanId } = await customerWithYearLoan();
  const db = backend().database();
  const { loan } = await loadForPayment(db, customerId, loanId, null, Date.now());
  if (!loan) throw new Error("seeded loan not found");
  const payment = paymentOnPeriodOne(loanId, customerId, loan);
  await reingest(loanId);
  const outcome = await recordPayment(db, payment, null, Date.now());
  const stored = await backend().query<{ n: number }>(
    "SELECT COUNT(*) AS n FROM payments WHERE loan_id = ?",
    [loanId],
  );
  return { outcome, paymentsStored: Number(stored[0]?.n), db, payment, customerId, loanId };
}

describe("recordPayment's condition", () => {
  it("writes nothing when a re-ingest changed the loan's terms after it was read", async () => {
    // What the ingest upsert does to a loan without API payments: new terms, same id.
    const { outcome, paymentsStored, db, payment, customerId, loanId } = await payAcrossReingest(
      (loanId) =>
        backend().query("UPDATE loans SET loan_amount_paise = ? WHERE id = ?", [
          20_000_000,
          loanId,
        ]),
    );
    expect(outcome).toEqual({ kind: "stale" });
    expect(paymentsStored).toBe(0);

    // Read again, the same payment is written.
    const { loan: fresh } = await loadForPayment(db, customerId, loanId, null, Date.now());
    if (!fresh) throw new Error("loan not found");
    const written = await recordPayment(db, { ...payment, expectedLoan: fresh }, null, Date.now());
    expect(written.kind).toBe("recorded");
  });

  it("writes nothing when a re-ingest moved the loan's start date after it was read", async () => {
    // The start date decides whether the loan has started and when each period falls due (so
    // whether a payment is on time); a payment decided on the old date was written on the new.
    // A payment on 2025-02-15 is refused once the loan starts on 2025-03-15 (LOAN_NOT_STARTED).
    const { outcome, paymentsStored } = await payAcrossReingest((loanId) =>
      backend().query("UPDATE loans SET start_date = ?, end_date = ? WHERE id = ?", [
        "2025-03-15",
        "2026-03-15",
        loanId,
      ]),
    );
    expect(outcome).toEqual({ kind: "stale" });
    expect(paymentsStored).toBe(0);
  });
});

describe("loadStatement", () => {
  it("reads the loan and its payments exactly as plain selects do, in period order", async () => {
    const { customerId, loanId } = await customerWithYearLoan();
    // Written out of period order, one late: every column, booleans included, must come back.
    for (const [period, onTime] of [
      [2, false],
      [1, true],
    ] as const) {
      await backend().query(
        "INSERT INTO payments (loan_id, customer_id, period, paid_on, amount_paise, interest_paise, principal_paise, balance_after_paise, on_time, source) VALUES (?, ?, ?, ?, 888488, 100000, 788488, 9211512, ?, 'api')",
        [loanId, customerId, period, `2025-0${period + 1}-20`, onTime ? 1 : 0],
      );
    }
    const db = backend().database();
    const loaded = await loadStatement(db, customerId, loanId);
    const [loan] = await db.select().from(loans).where(eq(loans.id, loanId));
    const selected = await db
      .select()
      .from(payments)
      .where(and(eq(payments.loanId, loanId), eq(payments.customerId, customerId)))
      .orderBy(asc(payments.period));
    expect(loaded.loan).toEqual(loan);
    expect(selected.map((payment) => [payment.period, payment.onTime])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(loaded.payments).toEqual(selected);
    expect(await loadStatement(db, customerId + 1, loanId)).toEqual({ loan: null, payments: [] });
  });
});

describe("a keyed payment that loses the race to another key's payment", () => {
  it("is decided again on the new state, so a copy of it sent later replays it instead of paying", async () => {
    // Found with copies of one key racing payments under other keys (npm run serve and wrangler
    // dev): a copy that lost to another key answered 409 "not recorded" while its twin, which
    // read after that payment, was recorded; the same key got a 409 and a 201.
    const { customerId, loanId } = await customerWithYearLoan();
    const db = backend().database();
    const request = paymentOf(customerId, loanId);
    // The first copy has read the loan; another key's payment is recorded before its write.
    const first = await makePaymentRequest(
      interleavedBatches(db, { 2: () => makePaymentRequest(db, request("other-key")) }),
      request("copied-key"),
    );
    expect(first).toMatchObject({ replayed: false, result: { period: 2 } });

    const copy = await makePaymentRequest(db, request("copied-key"));
    expect(copy).toEqual({ result: first.result, replayed: true });
    const stored = await backend().query<{ period: number; idempotency_key: string }>(
      "SELECT period, idempotency_key FROM payments WHERE loan_id = ? ORDER BY period",
      [loanId],
    );
    expect(stored).toEqual([
      { period: 1, idempotency_key: "other-key" },
      { period: 2, idempotency_key: "copied-key" },
    ]);
  });
});

describe("a keyed payment that loses the race to other keys' payments on every attempt", () => {
  it("answers a retryable 503 with Retry-After, not a 409, and the same key then gets its copy's payment", async () => {
    // A lender's burst: four payments on one loan under four keys, and a retry of one of them
    // (the same key) still in flight. Before each of its three writes another key's payment is
    // recorded; its copy is recorded after it gave up. It answered 409 "this one was not
    // recorded", a final answer to a client's retry policy, and the key then had a 201 too.
    const { customerId, loanId } = await customerWithYearLoan();
    const db = backend().database();
    const request = paymentOf(customerId, loanId);
    const otherKey = (n: number) => () => makePaymentRequest(db, request(`burst-other-key-${n}`));
    // Batches: each attempt's read, then its write; another key's payment before every write.
    const contended = interleavedBatches(db, { 2: otherKey(1), 4: otherKey(2), 6: otherKey(3) });

    await expectContendedRetry(makePaymentRequest(contended, request("burst-key")));
    // Nothing was written for it: its copy pays, and a retry with the key replays that payment.
    const copy = await makePaymentRequest(db, request("burst-key"));
    expect(copy).toMatchObject({ replayed: false, result: { period: 4 } });
    const retry = await makePaymentRequest(db, request("burst-key"));
    expect(retry).toEqual({ result: copy.result, replayed: true });
    const stored = await backend().query<{ period: number; idempotency_key: string }>(
      "SELECT period, idempotency_key FROM payments WHERE loan_id = ? ORDER BY period",
      [loanId],
    );
    expect(stored.map((row) => row.idempotency_key)).toEqual([
      "burst-other-key-1",
      "burst-other-key-2",
      "burst-other-key-3",
      "burst-key",
    ]);
  });

  it("still answers 409 without a key: nothing else can answer for it", async () => {
    const { customerId, loanId } = await customerWithYearLoan();
    const db = backend().database();
    const request = paymentOf(customerId, loanId);
    // Without a key the read is one statement, not a batch: the write is the first batch.
    const contended = interleavedBatches(db, {
      1: () => makePaymentRequest(db, request("unkeyed-other-key")),
    });

    const lost = await makePaymentRequest(contended, request(null)).then(
      () => null,
      (error: unknown) => error,
    );

    expect((lost as ProblemError | null)?.problem).toMatchObject({ kind: "conflict" });
  });

  it("says a workbook correction may be what moved the loan, as a payment may", async () => {
    const { customerId, loanId } = await customerWithYearLoan();
    const db = backend().database();
    // A re-ingest's new terms, written between the payment's read and its write.
    const corrected = interleavedBatches(db, {
      1: () =>
        backend().query("UPDATE loans SET loan_amount_paise = ? WHERE id = ?", [
          20_000_000,
          loanId,
        ]),
    });

    const lost = await makePaymentRequest(corrected, paymentOf(customerId, loanId)(null)).then(
      () => null,
      (error: unknown) => error,
    );

    const problem = (lost as ProblemError | null)?.problem;
    expect(problem).toMatchObject({ kind: "conflict" });
    expect(problem?.detail).toMatch(/workbook correction of its terms/);
  });
});

/** A ₹8,884.88 payment request on the loan dated 2025-02-15, under `key` (null: no key). */
function paymentOf(customerId: number, loanId: number) {
  return (key: string | null) => ({
    customerId,
    loanId,
    amountPaise: 888_488,
    idempotency: key === null ? null : { key, requestHash: `hash-of-${key}` },
    asOfAt: () => "2025-02-15",
  });
}
