import { describe, expect, it } from "vitest";
import { MAX_LOANS_IN_A_DECISION } from "../../src/routes/decisions/decision-record";
import { call, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedWideRepaidLoans } from "../support/seed";
import { tableCounts } from "../support/table-counts";

/*
 * A decision records every loan it read, and D1 stores at most about 2 MB in one value: a
 * customer with some 10,000 loans made create-loan answer 500 on D1 (and only there). Past
 * MAX_LOANS_IN_A_DECISION every runtime refuses the booking alike, and a record at the bound,
 * every field at its widest, is stored and read back whole. Such records also make a history page
 * huge (100 of them, some 130 MB), so a customer with many loans gets fewer records a page.
 */

/** Loan ids near the top of the range, so each recorded id is as long as one can be. */
let nextLoanId = 9_007_199_254_000_000;

/** Gives the customer `count` repaid loans whose recorded fields are all at their widest. */
async function seedWideLoans(customerId: number, count: number) {
  const firstId = nextLoanId;
  nextLoanId += count + 1_000; // room for the loans the tests book
  await seedWideRepaidLoans(customerId, firstId, count);
}

const request = (customer_id: number) => ({
  customer_id,
  loan_amount: 10_000,
  interest_rate: 14,
  tenure: 12,
});

describe("a customer with more loans than a decision can record", () => {
  it("decides and records a customer at the bound, and reads the whole record back", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    await seedWideLoans(customer_id, MAX_LOANS_IN_A_DECISION);
    const created = await call("/create-loan", { body: request(customer_id) });
    expect([200, 201]).toContain(created.status);
    const { decision_id } = (await created.json()) as { decision_id: string };

    const one = await call(`/decisions/${decision_id}`);
    expect(one.status).toBe(200);
    const record = (await one.json()) as { inputs: { loans: unknown[] } };
    expect(record.inputs.loans).toHaveLength(MAX_LOANS_IN_A_DECISION);

    const history = await call(`/customers/${customer_id}/decisions`);
    expect(history.status).toBe(200);
    const page = (await history.json()) as { decisions: { inputs: { loans: unknown[] } }[] };
    expect(page.decisions.map((d) => d.inputs.loans.length)).toEqual([MAX_LOANS_IN_A_DECISION]);
  });

  it("refuses a booking one loan past the bound with a 409 naming the count, and stores nothing", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    await seedWideLoans(customer_id, MAX_LOANS_IN_A_DECISION + 1);
    const before = await tableCounts();

    const headerSets: Record<string, string>[] = [
      {},
      { "Idempotency-Key": `long-history-${customer_id}` },
    ];
    for (const headers of headerSets) {
      const refused = await call("/create-loan", { body: request(customer_id), headers });
      const problem = await expectProblem(refused, 409);
      expect(problem.type).toBe("/problems/loan-history-too-long");
      expect(problem.detail).toContain(`${MAX_LOANS_IN_A_DECISION + 1} loans`);
      expect(refused.headers.get("retry-after")).toBeNull();
    }
    expect(await tableCounts()).toEqual(before);

    // check-eligibility stores nothing, so it still answers.
    const eligibility = await call("/check-eligibility", { body: request(customer_id) });
    expect(eligibility.status).toBe(200);
  });
});

describe("a history page of a customer with many loans", () => {
  /** Every page of the customer's history at `limit` (the default when null): their sizes and ids. */
  async function pageThrough(customerId: number, limit: number | null) {
    const sizes: number[] = [];
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams();
      if (limit !== null) query.set("limit", String(limit));
      if (cursor !== null) query.set("cursor", cursor);
      const response = await call(`/customers/${customerId}/decisions?${query}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        decisions: { decision_id: string }[];
        next_cursor: string | null;
      };
      sizes.push(page.decisions.length);
      ids.push(...page.decisions.map((decision) => decision.decision_id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    return { sizes, ids };
  }

  it("holds fewer records, so that a page stays near 2 MB, and pages through every record once", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    // 2,000 loans: records of some 500 KB, so three to a page of at most 2 MB.
    await seedWideLoans(customer_id, 2_000);
    const made: string[] = [];
    for (let decision = 0; decision < 4; decision += 1) {
      const created = await call("/create-loan", { body: request(customer_id) });
      made.unshift(((await created.json()) as { decision_id: string }).decision_id);
    }

    expect(await pageThrough(customer_id, null)).toEqual({ sizes: [3, 1], ids: made });
    expect(await pageThrough(customer_id, 2)).toEqual({ sizes: [2, 2], ids: made });
  });

  it("holds one record of a customer at the loan bound", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    // The first booking takes the customer to the bound; the second still reads within it.
    await seedWideLoans(customer_id, MAX_LOANS_IN_A_DECISION - 1);
    for (let decision = 0; decision < 2; decision += 1) {
      expect([200, 201]).toContain(
        (await call("/create-loan", { body: request(customer_id) })).status,
      );
    }
    expect((await pageThrough(customer_id, 100)).sizes).toEqual([1, 1]);
  });
});
