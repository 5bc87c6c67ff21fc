import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { replayEveryDecision, storedInputsChecked } from "../support/decisions";
import { callJson, registerCustomer } from "../support/http";

async function customerTotals(customerId: number) {
  const [totals] = await backend().query<{ loans: number; amount: number; emi: number }>(
    "SELECT COUNT(*) AS loans, SUM(loan_amount_paise) AS amount, SUM(monthly_payment_paise) AS emi FROM loans WHERE customer_id = ?",
    [customerId],
  );
  return totals;
}

/**
 * A booking the write-time guard refused is decided again: only the final decision is recorded,
 * one per answered request, each approval linked to its loan.
 */
async function expectOneRecordPerDecision(
  customerId: number,
  responses: { status: number; body: Record<string, unknown> }[],
) {
  const records = await backend().query<{ id: string; approved: number; loan_id: number | null }>(
    "SELECT id, approved, loan_id FROM decision_records WHERE customer_id = ? ORDER BY seq",
    [customerId],
  );
  const answered = responses.filter((r) => r.status !== 409);
  expect(records.map((r) => r.id).sort()).toEqual(answered.map((r) => r.body.decision_id).sort());
  const booked = answered.filter((r) => r.status === 201).map((r) => r.body.loan_id);
  expect(
    records
      .filter((r) => r.approved === 1)
      .map((r) => r.loan_id)
      .sort(),
  ).toEqual(booked.sort());
  expect(records.filter((r) => r.approved === 0).every((r) => r.loan_id === null)).toBe(true);
  // Every record's inputs are stored, each copy counting exactly the records that read it: the
  // guard's refused attempts neither stored nor counted theirs.
  const inputs = await storedInputsChecked(customerId);
  expect(inputs).toEqual({ missing: 0, miscounted: 0 });
}

describe("20 concurrent create-loans for one customer", () => {
  it("never together pass the approved limit", async () => {
    // Limit 5 lakh; each loan 1 lakh over 600 months has a small EMI, so only the limit binds.
    const { customer_id } = await registerCustomer({ monthly_income: 12_500 });
    const body = { customer_id, loan_amount: 100_000, interest_rate: 12, tenure: 600 };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => callJson("/create-loan", { body })),
    );
    for (const response of responses) expect([200, 201, 409]).toContain(response.status);
    const totals = await customerTotals(customer_id);
    expect(totals?.amount).toBeLessThanOrEqual(500_000_00);
    expect(totals?.loans).toBe(5);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(5);
    await expectOneRecordPerDecision(customer_id, responses);
  });

  it("never together pass half the salary", async () => {
    // Half of 50,000 is 25,000: two EMIs of 8,884.88 fit, a third does not; the limit is far away.
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const body = { customer_id, loan_amount: 100_000, interest_rate: 12, tenure: 12 };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => callJson("/create-loan", { body })),
    );
    for (const response of responses) expect([200, 201, 409]).toContain(response.status);
    const totals = await customerTotals(customer_id);
    expect(totals?.loans).toBe(2);
    expect(2 * (totals?.emi ?? 0)).toBeLessThanOrEqual(50_000_00);
    const refused = responses.filter((r) => r.status === 200);
    for (const r of refused) expect(r.body.loan_approved).toBe(false);
    await expectOneRecordPerDecision(customer_id, responses);
  });
});

// Last: tests in a file run in order, so this sees every record the tests above stored. A test,
// not an afterAll: a `-t` run of some other test skips it instead of failing on an empty table.
it("replays every decision record this file's requests stored to its stored outcome", async () => {
  expect(await replayEveryDecision()).toBeGreaterThan(0);
});
