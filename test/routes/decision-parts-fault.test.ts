import { afterEach, describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, callJson, registerCustomer } from "../support/http";
import { seedLoan } from "../support/seed";
import { tableCounts } from "../support/table-counts";

/*
 * A decision record and its inputs' parts are written in one batch (docs/decisions.md, "How it
 * joins the booking's batch"): all or nothing. A trigger makes the parts' statement itself fail,
 * after the loan and the record went in earlier in the same batch, on D1's batch, on libSQL's
 * and over the Node server: nothing of the request may stay, no record without its parts.
 */

const TRIGGER = "fail_decision_parts";

async function failPartsOn(event: "INSERT" | "UPDATE"): Promise<void> {
  await backend().query(
    `CREATE TRIGGER ${TRIGGER} BEFORE ${event} ON decision_inputs BEGIN SELECT RAISE(ABORT, 'injected: decision parts not stored'); END`,
  );
}

afterEach(async () => {
  await backend().query(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
});

/** A customer with 70 loans (two parts) and room to borrow. */
async function customerWithTwoParts(): Promise<number> {
  const { customer_id } = await registerCustomer({ monthly_income: 500_000 });
  for (let i = 0; i < 70; i++) {
    await seedLoan({
      customerId: customer_id,
      amount: 1_000,
      tenure: 12,
      emisPaidOnTime: 12,
      startDate: "2010-01-15",
      endDate: "2011-01-15",
    });
  }
  return customer_id;
}

const approvable = { loan_amount: 10_000, interest_rate: 16, tenure: 12 };
const refusable = { loan_amount: 900_000_000, interest_rate: 16, tenure: 12 };

describe("a decision whose parts fail to store stores nothing", () => {
  for (const [name, request, key] of [
    ["an approval", approvable, undefined],
    ["an approval with an Idempotency-Key", approvable, "parts-fault-approval"],
    ["a refusal", refusable, undefined],
    ["a refusal with an Idempotency-Key", refusable, "parts-fault-refusal"],
  ] as const) {
    it(`${name}: new parts refused mid-batch`, async () => {
      const customerId = await customerWithTwoParts();
      await failPartsOn("INSERT");
      const before = await tableCounts();
      const response = await call("/create-loan", {
        body: { customer_id: customerId, ...request },
        headers: key ? { "Idempotency-Key": key } : {},
      });
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(await tableCounts()).toEqual(before);

      // Once the parts can be stored, the same request is decided and stored whole.
      await backend().query(`DROP TRIGGER ${TRIGGER}`);
      const again = await callJson<{ decision_id: string }>("/create-loan", {
        body: { customer_id: customerId, ...request },
        headers: key ? { "Idempotency-Key": key } : {},
      });
      expect(again.status).toBe(request === approvable ? 201 : 200);
      const record = await callJson<{ inputs: { loans: unknown[] } }>(
        `/decisions/${again.body.decision_id}`,
      );
      expect(record.status).toBe(200);
      expect(record.body.inputs.loans).toHaveLength(70);
    });
  }

  it("a refusal asked again: counting one more record on stored parts refused mid-batch", async () => {
    const customerId = await customerWithTwoParts();
    const first = await callJson("/create-loan", {
      body: { customer_id: customerId, ...refusable },
    });
    expect(first.status).toBe(200);
    await failPartsOn("UPDATE");
    const before = await tableCounts();
    const response = await call("/create-loan", {
      body: { customer_id: customerId, ...refusable },
    });
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(await tableCounts()).toEqual(before);
  });
});
