import { describe, expect, it } from "vitest";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { expectBookingRefusedAsTooLong } from "../support/decisions";
import { call, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedWideRepaidLoans } from "../support/seed";

/*
 * A decision records every loan it read, and D1 stores at most about 2 MB in one value: a
 * customer with some 10,000 loans made create-loan answer 500 on D1 (and only there). At
 * LOANS_PER_CUSTOMER_AT_MOST loans and past it every runtime refuses the booking alike, and a
 * record of the most loans a decision reads (one fewer), every field at its widest, is stored and
 * read back whole. Such records also make a history page
 * huge (100 of them, some 130 MB), so a customer with many loans gets fewer records a page.
 */

/** Loan ids near the top of the range, so each recorded id is as long as one can be. */
let nextLoanId = 9_007_199_254_000_000;

/** The most loans a decision reads: a customer with more is refused on the count. */
const MOST_DECIDED_ON = LOANS_PER_CUSTOMER_AT_MOST - 1;

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
  it("decides and records a customer one loan below the bound, and reads the whole record back", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    await seedWideLoans(customer_id, MOST_DECIDED_ON);
    const created = await call("/create-loan", { body: request(customer_id) });
    expect([200, 201]).toContain(created.status);
    const { decision_id } = (await created.json()) as { decision_id: string };

    const one = await call(`/decisions/${decision_id}`);
    expect(one.status).toBe(200);
    const record = (await one.json()) as { inputs: { loans: unknown[] } };
    expect(record.inputs.loans).toHaveLength(MOST_DECIDED_ON);

    const history = await call(`/customers/${customer_id}/decisions`);
    expect(history.status).toBe(200);
    const page = (await history.json()) as { decisions: { inputs: { loans: unknown[] } }[] };
    expect(page.decisions.map((d) => d.inputs.loans.length)).toEqual([MOST_DECIDED_ON]);
  });

  it("refuses a booking one loan past the bound with a 409 naming the count, and stores nothing", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    // Stored past the bound before it held: refused on the count, as at the bound.
    await seedWideLoans(customer_id, LOANS_PER_CUSTOMER_AT_MOST + 1);
    await expectBookingRefusedAsTooLong(request(customer_id), LOANS_PER_CUSTOMER_AT_MOST + 1);

    // check-eligibility gives the same answer: no loan can be booked for this customer.
    const eligibility = await call("/check-eligibility", { body: request(customer_id) });
    const problem = await expectProblem(eligibility, 409);
    expect(problem.type).toBe("/problems/loan-history-too-long");
  });

  it("replays a key first used within the bound after the customer has passed it", async () => {
    // The stored answer is replayed before the bound is checked: a client retrying its booking
    // must not be told 409 for a loan it got.
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    await seedWideLoans(customer_id, LOANS_PER_CUSTOMER_AT_MOST - 1);
    const headers = { "Idempotency-Key": `replay-past-bound-${customer_id}` };
    const first = await call("/create-loan", { body: request(customer_id), headers });
    expect(first.status).toBe(201);
    const booked = await first.json();
    await seedWideLoans(customer_id, 2);

    const replayed = await call("/create-loan", { body: request(customer_id), headers });
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(await replayed.json()).toEqual(booked);
    const fresh = { "Idempotency-Key": `past-bound-${customer_id}` };
    const refused = await call("/create-loan", { body: request(customer_id), headers: fresh });
    const problem = await expectProblem(refused, 409);
    expect(problem.type).toBe("/problems/loan-history-too-long");
  });
});

describe("a history page of a customer with many loans", () => {
  /**
   * Every page of the customer's history at `limit` (the default when null), from the first or
   * from the cursor `from`: their sizes and ids.
   */
  async function pageThrough(customerId: number, limit: number | null, from: string | null = null) {
    const sizes: number[] = [];
    const ids: string[] = [];
    let cursor: string | null = from;
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

  it("pages through every record once when loans are added between page reads", async () => {
    // The page size follows the loan count at each read; the cursor is a seq, so a smaller next
    // page neither skips nor repeats a record.
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    await seedWideLoans(customer_id, 1_000); // 7 records a page
    const made: string[] = [];
    for (let decision = 0; decision < 10; decision += 1) {
      const created = await call("/create-loan", { body: request(customer_id) });
      made.unshift(((await created.json()) as { decision_id: string }).decision_id);
    }
    const first = (await (await call(`/customers/${customer_id}/decisions`)).json()) as {
      decisions: { decision_id: string }[];
      next_cursor: string;
    };
    await seedWideLoans(customer_id, 1_000); // 3 records a page from now on
    const rest = await pageThrough(customer_id, null, first.next_cursor);
    expect(first.decisions.length).toBe(7);
    expect(rest.sizes).toEqual([3]);
    expect([...first.decisions.map((d) => d.decision_id), ...rest.ids]).toEqual(made);
  });

  it("holds one record of a customer near the loan bound", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 900_000 });
    // Each booking reads within the bound, the second the most a decision reads.
    await seedWideLoans(customer_id, MOST_DECIDED_ON - 1);
    for (let decision = 0; decision < 2; decision += 1) {
      expect([200, 201]).toContain(
        (await call("/create-loan", { body: request(customer_id) })).status,
      );
    }
    expect((await pageThrough(customer_id, 100)).sizes).toEqual([1, 1]);
  });
});
