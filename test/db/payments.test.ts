import { describe, expect, it } from "vitest";
import { loadForPayment, recordPayment } from "../../src/db/payments";
import { backend } from "../support/backend";
import { registerCustomer } from "../support/http";
import { seedLoan } from "../support/seed";

/*
 * make-payment's write is conditional on the loan it read. A workbook re-ingest may change a loan's
 * terms while it has no API payment yet; a payment decided on the old terms must then write
 * nothing (and be retried on the new ones), never leave new terms beside an old balance.
 */

describe("recordPayment's condition", () => {
  it("writes nothing when a re-ingest changed the loan's terms after it was read", async () => {
    const { customer_id: customerId } = await registerCustomer();
    const loanId = await seedLoan({
      customerId,
      amount: 100_000,
      rate: 12,
      tenure: 12,
      startDate: "2025-01-15",
      endDate: "2026-01-15",
    });
    const db = backend().database();
    const { loan } = await loadForPayment(db, customerId, loanId, null, Date.now());
    if (!loan) throw new Error("seeded loan not found");
    const payment = {
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

    // What the ingest upsert does to a loan without API payments: new terms, same id.
    await backend().query("UPDATE loans SET loan_amount_paise = ? WHERE id = ?", [
      20_000_000,
      loanId,
    ]);
    expect(await recordPayment(db, payment, null, Date.now())).toEqual({ kind: "stale" });
    const stored = await backend().query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM payments WHERE loan_id = ?",
      [loanId],
    );
    expect(Number(stored[0]?.n)).toBe(0);

    // Read again, the same payment is written.
    const { loan: fresh } = await loadForPayment(db, customerId, loanId, null, Date.now());
    if (!fresh) throw new Error("loan not found");
    const written = await recordPayment(db, { ...payment, expectedLoan: fresh }, null, Date.now());
    expect(written.kind).toBe("recorded");
  });
});
