import { describe, expect, it } from "vitest";
import { loadCustomerDecisions, loadDecision } from "../../src/db/decisions";
import { backend } from "../support/backend";
import { plainDecisionRows, toDecisionRecord } from "../support/decisions";
import { callJson, registerCustomer } from "../support/http";
import { registerBorrowerWithLoan, registerOverLimitBorrower } from "../support/seed";

/*
 * A decision, and a page of a customer's decisions, are read packed (each record one JSON value,
 * its JSON columns embedded): every field of every record must come back as a plain select and
 * toDecisionRecord give it, in the same order.
 */

async function createLoan(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const { status } = await callJson("/create-loan", { body, headers });
  expect([201, 200]).toContain(status);
}

async function plainRecords(customerId: number) {
  const rows = await plainDecisionRows(customerId);
  return rows.map((row) => ({ seq: row.seq, record: toDecisionRecord(row) }));
}

describe("reading decisions packed", () => {
  it("reads every column of every record as a plain select does, newest first", async () => {
    const { customer_id, approved_limit } = await registerBorrowerWithLoan(60_000);
    const request = { customer_id, loan_amount: 10_000, interest_rate: 14, tenure: 12 };
    // An approval (a loan id, dates) with a key, a refusal over the limit, a plain approval.
    await createLoan(request, { "Idempotency-Key": `page-${customer_id}` });
    await createLoan({ ...request, loan_amount: approved_limit * 2 });
    await createLoan({ ...request, loan_amount: 5_000.55, tenure: 7 });

    const expected = await plainRecords(customer_id);
    expect(expected).toHaveLength(3);
    expect(expected.map(({ record }) => record.approved)).toEqual([true, false, true]);
    expect(expected[2]?.record.idempotencyKey).toBe(`page-${customer_id}`);

    const db = backend().database();
    const whole = await loadCustomerDecisions(db, customer_id, null, 20);
    expect(whole).toEqual({ customerExists: true, page: expected, more: false });

    const afterNewest = await loadCustomerDecisions(db, customer_id, expected[0]?.seq ?? 0, 1);
    expect(afterNewest).toEqual({ customerExists: true, page: [expected[1]], more: true });
    for (const { record } of expected) expect(await loadDecision(db, record.id)).toEqual(record);
    expect(await loadDecision(db, crypto.randomUUID())).toBeNull();
  });

  it("carries a refusal's score factors field for field", async () => {
    const customer_id = await registerOverLimitBorrower();
    await createLoan({ customer_id, loan_amount: 1_000, interest_rate: 10, tenure: 12 });

    const expected = await plainRecords(customer_id);
    expect(expected[0]?.record.reasons.some((reason) => reason.scoreFactors)).toBe(true);
    const db = backend().database();
    expect(await loadCustomerDecisions(db, customer_id, null, 21)).toEqual({
      customerExists: true,
      page: expected,
      more: false,
    });
  });

  it("tells a customer without decisions from an unknown one", async () => {
    const db = backend().database();
    const { customer_id } = await registerCustomer();
    expect(await loadCustomerDecisions(db, customer_id, null, 21)).toEqual({
      customerExists: true,
      page: [],
      more: false,
    });
    expect(await loadCustomerDecisions(db, 987_654_321, null, 21)).toEqual({
      customerExists: false,
      page: [],
      more: false,
    });
  });
});
