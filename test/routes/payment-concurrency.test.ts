import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { customerWithLoan, pay, statementOf } from "../support/servicing";

describe("concurrent payments on one loan", () => {
  it("never settle the same period and never lose a payment: the losers get 409", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => pay(customerId, loanId, 8884.88)),
    );
    for (const response of responses) expect([201, 409]).toContain(response.status);
    const accepted = responses.filter((r) => r.status === 201);
    expect(accepted.length).toBeGreaterThanOrEqual(1);

    const stored = await backend().query<{ period: number; balance_after_paise: number }>(
      "SELECT period, balance_after_paise FROM payments WHERE loan_id = ? ORDER BY period",
      [loanId],
    );
    // One row per accepted response, on distinct consecutive periods, each from the balance before.
    expect(stored.map((row) => row.period)).toEqual(accepted.map((_, i) => i + 1));
    // In numeric order: with ten winners a default sort would put 10 after 1.
    const periods = accepted.map((r) => Number(r.body.period)).sort((a, b) => a - b);
    expect(periods).toEqual(stored.map((row) => row.period));
    const { body } = await statementOf(customerId, loanId);
    expect(body.payments).toHaveLength(accepted.length);
    expect(Math.round(body.outstanding_principal * 100)).toBe(stored.at(-1)?.balance_after_paise);

    // A loser retried applies to the loan as it is now.
    const retried = await pay(customerId, loanId, 8884.88);
    expect(retried.status).toBe(201);
    expect(retried.body.period).toBe(accepted.length + 1);
  });
});

describe("concurrent copies of one payment (the same Idempotency-Key)", () => {
  it("pay once, and every copy answers 201 with the first response, never 409", async () => {
    // A copy that reads before the first commits loses the version check; it must replay, not
    // tell the client its payment was not recorded. Several rounds: the interleaving varies.
    for (let round = 0; round < 8; round++) {
      const { customerId, loanId } = await customerWithLoan();
      const headers = { "Idempotency-Key": `copies-${crypto.randomUUID()}` };
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => pay(customerId, loanId, 8884.88, headers)),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(5).fill(201));
      for (const response of responses) expect(response.body).toEqual(responses[0]?.body);
      const { body } = await statementOf(customerId, loanId);
      expect(body.payments).toHaveLength(1);
    }
  });

  it("answer 422, not 409, to a copy with another amount", async () => {
    for (let round = 0; round < 8; round++) {
      const { customerId, loanId } = await customerWithLoan();
      const headers = { "Idempotency-Key": `other-amount-${crypto.randomUUID()}` };
      const responses = await Promise.all(
        [8884.88, 9000, 9100, 9200].map((amount) => pay(customerId, loanId, amount, headers)),
      );
      expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
      expect(responses.filter((r) => r.status === 422)).toHaveLength(3);
    }
  });

  it("agree with each other while payments under other keys race them", async () => {
    // A copy that lost to another key's payment answered 409 "not recorded" while its twin was
    // recorded. Keyed payments are decided again after a lost race, so a key gets one answer.
    for (let round = 0; round < 6; round++) {
      const { customerId, loanId } = await customerWithLoan();
      const copied = { "Idempotency-Key": `raced-${crypto.randomUUID()}` };
      const responses = await Promise.all([
        pay(customerId, loanId, 5000, copied),
        pay(customerId, loanId, 5000, copied),
        ...Array.from({ length: 3 }, () =>
          pay(customerId, loanId, 5000, { "Idempotency-Key": `other-${crypto.randomUUID()}` }),
        ),
      ]);
      const [first, second] = responses;
      expect(second?.status).toBe(first?.status);
      expect(second?.body.payment_id).toBe(first?.body.payment_id);
      // Every payment answered 201 is in the ledger once, and nothing else is.
      const recorded = new Set(
        responses.filter((r) => r.status === 201).map((r) => r.body.payment_id),
      );
      const { body } = await statementOf(customerId, loanId);
      expect(new Set(body.payments.map((p) => p.payment_id))).toEqual(recorded);
    }
  });
});
