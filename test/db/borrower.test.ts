import { describe, expect, it } from "vitest";
import { loadForBooking } from "../../src/db/bookings";
import { loadBorrower, selectLoansOfCustomer } from "../../src/db/loans";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { backend } from "../support/backend";
import { registerCustomer } from "../support/http";
import { seedLoan, seedWideRepaidLoans } from "../support/seed";

/*
 * A borrower is read inside a D1 batch, with the stored response of an Idempotency-Key for
 * create-loan. A D1 batch returns rows as objects, where two columns of the same name collapse and
 * drizzle shifts the later values (drizzle-orm#6038): every field must land in its own place.
 */
describe("loading a borrower", () => {
  it("returns the customer and their loans, oldest first, alone and inside a batch", async () => {
    const { customer_id } = await registerCustomer({ first_name: "Asha", monthly_income: 52_000 });
    const later = await seedLoan({
      customerId: customer_id,
      amount: 20_000,
      startDate: "2024-03-01",
      endDate: "2025-03-01",
      emisPaidOnTime: 7,
    });
    const earlier = await seedLoan({
      customerId: customer_id,
      amount: 10_000,
      startDate: "2023-01-01",
      endDate: "2024-01-01",
    });
    const db = backend().database();

    const alone = await loadBorrower(db, customer_id);
    const withoutKey = await loadForBooking(db, customer_id, null, Date.now());
    const inBatch = await loadForBooking(db, customer_id, "borrower-test-key", Date.now());

    for (const loaded of [alone, withoutKey, inBatch]) {
      expect(loaded.customer).toMatchObject({
        id: customer_id,
        firstName: "Asha",
        monthlySalaryPaise: 5_200_000,
        approvedLimitPaise: 190_000_000,
      });
      expect(loaded.loans?.map((loan) => [loan.id, loan.customerId, loan.loanAmountPaise])).toEqual(
        [
          [earlier, customer_id, 1_000_000],
          [later, customer_id, 2_000_000],
        ],
      );
      expect(loaded.loans?.[1]).toMatchObject({ emisPaidOnTime: 7, startDate: "2024-03-01" });
    }
    expect(inBatch.stored).toBeNull();
  });

  it("reads every column of every loan as a plain select does, ties on the start date by id", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 80_000 });
    for (const amount of [30_000, 10_000, 20_000]) {
      await seedLoan({
        customerId: customer_id,
        amount,
        startDate: "2024-05-01",
        endDate: "2026-05-01",
      });
    }
    const db = backend().database();
    const selected = await selectLoansOfCustomer(db, customer_id);
    expect(selected).toHaveLength(3);
    expect((await loadBorrower(db, customer_id)).loans).toEqual(selected);
  });

  it("returns no customer for an unknown id, and a customer without loans", async () => {
    const db = backend().database();
    expect(await loadBorrower(db, 987_654_321)).toEqual({ customer: null, loans: [] });
    const { customer_id } = await registerCustomer();
    const loaded = await loadBorrower(db, customer_id);
    expect(loaded.customer?.id).toBe(customer_id);
    expect(loaded.loans).toEqual([]);
  });

  it("to decide on, counts the loans and reads them only below the bound on a customer's loans", async () => {
    const db = backend().database();
    const { customer_id } = await registerCustomer();
    await seedWideRepaidLoans(customer_id, 9_007_198_000_000_000, LOANS_PER_CUSTOMER_AT_MOST - 1);
    for (const key of [null, "borrower-below-bound"]) {
      const below = await loadForBooking(db, customer_id, key, Date.now());
      expect(below.loanCount).toBe(LOANS_PER_CUSTOMER_AT_MOST - 1);
      expect(below.loans).toHaveLength(LOANS_PER_CUSTOMER_AT_MOST - 1);
    }
    await seedWideRepaidLoans(customer_id, 9_007_198_000_010_000, 1);
    for (const key of [null, "borrower-at-bound"]) {
      const at = await loadForBooking(db, customer_id, key, Date.now());
      expect(at.customer?.id).toBe(customer_id);
      expect(at.loanCount).toBe(LOANS_PER_CUSTOMER_AT_MOST);
      expect(at.loans).toBeNull();
    }
  });
});
