import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, registerCustomer, registration } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedLoan } from "../support/seed";
import { customerWithLoan, pay } from "../support/servicing";
import { tableCounts } from "../support/table-counts";

/*
 * Ingested workbooks may bring ids up to 2^53 - 1, the API's largest; SQLite gives a new row the
 * largest id plus one. Past that bound the id would reach the client rounded (two customers, one
 * number), so the database refuses the insert whole (migrations/0008) and the API answers 503,
 * naming the table, with nothing stored. Each test moves one row's id to the top and back.
 */

const TOP_ID = Number.MAX_SAFE_INTEGER;

/** Runs `check` while the row `id` of `table` sits at the top id, then moves it back. */
async function withIdAtTop(table: string, id: number, check: () => Promise<void>) {
  await backend().query(`UPDATE ${table} SET id = ${TOP_ID} WHERE id = ?`, [id]);
  try {
    await check();
  } finally {
    await backend().query(`UPDATE ${table} SET id = ? WHERE id = ${TOP_ID}`, [id]);
  }
}

async function expectRefusedNaming(response: Response, table: string) {
  const problem = await expectProblem(response, 503);
  expect(problem.detail).toContain(`new row in ${table}`);
  expect(response.headers.get("retry-after")).toBeNull();
}

describe("an id the database would assign past 2^53 - 1", () => {
  it("refuses a registration whole, with or without an Idempotency-Key, and registers once the top id is gone", async () => {
    const { customer_id } = await registerCustomer();
    await withIdAtTop("customers", customer_id, async () => {
      const before = await tableCounts();
      await expectRefusedNaming(await call("/register", { body: registration() }), "customers");
      const keyed = await call("/register", {
        body: registration(),
        headers: { "Idempotency-Key": `top-id-${customer_id}` },
      });
      await expectRefusedNaming(keyed, "customers");
      expect(await tableCounts()).toEqual(before);
    });
    expect((await call("/register", { body: registration() })).status).toBe(201);
  });

  it("refuses a booking whole: no loan, no decision record", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 80_000 });
    // A loan repaid long ago: it takes no room under the limit.
    const oldLoan = await seedLoan({
      customerId: customer_id,
      amount: 10_000,
      startDate: "2019-01-01",
      endDate: "2020-01-01",
      emisPaidOnTime: 12,
    });
    const request = { customer_id, loan_amount: 10_000, interest_rate: 14, tenure: 12 };
    await withIdAtTop("loans", oldLoan, async () => {
      const before = await tableCounts();
      await expectRefusedNaming(await call("/create-loan", { body: request }), "loans");
      expect(await tableCounts()).toEqual(before);
    });
    expect((await call("/create-loan", { body: request })).status).toBe(201);
  });

  it("refuses a payment whole: the loan's state and its statement unchanged", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const first = await pay(customerId, loanId, 8_884.88);
    expect(first.status).toBe(201);
    const paymentId = (first.body as { payment_id: number }).payment_id;
    await withIdAtTop("payments", paymentId, async () => {
      const before = await tableCounts();
      const statementBefore = await call(`/view-statement/${customerId}/${loanId}`);
      const second = await call(`/make-payment/${customerId}/${loanId}`, {
        body: { amount: 8_884.88 },
      });
      await expectRefusedNaming(second, "payments");
      expect(await tableCounts()).toEqual(before);
      const statementAfter = await call(`/view-statement/${customerId}/${loanId}`);
      expect(await statementAfter.json()).toEqual(await statementBefore.json());
    });
    expect((await pay(customerId, loanId, 8_884.88)).status).toBe(201);
  });
});
