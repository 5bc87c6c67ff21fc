import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, registerCustomer } from "../support/http";
import { storeLegacyLoan } from "../support/legacy-loan";

/*
 * A loan's tenure is a whole number of months, at least 1: every schedule, statement, payment and
 * credit score divides by it or counts to it, and a stored 0 made view-loan, view-loans,
 * view-statement, check-eligibility, create-loan and make-payment answer 500 for that customer.
 * No release writes one; migration 0014's triggers refuse it from any writer, as 0013's refuse a
 * paid loan's rewrite (docs/servicing.md, "Loans stored by older releases").
 */

const REFUSAL = /LOAN_TENURE_INVALID/;

describe("a loan's stored tenure", () => {
  it.each([0, -12, 1.5, "twelve"])("is refused at the database as %s", async (tenure) => {
    const { customer_id } = await registerCustomer();
    const database = backend().database();
    await expect(
      backend().query(
        `INSERT INTO loans (customer_id, loan_amount_paise, tenure, interest_rate_bp,
          monthly_payment_paise, emis_paid_on_time, start_date, end_date)
         VALUES (?, 10000000, ?, 1200, 900000, 0, '2025-01-01', '2026-01-01')`,
        [customer_id, tenure],
      ),
    ).rejects.toThrow(REFUSAL);
    const id = await storeLegacyLoan(database, customer_id, { tenure: 12 });
    await expect(
      backend().query("UPDATE loans SET tenure = ? WHERE id = ?", [tenure, id]),
    ).rejects.toThrow(REFUSAL);
    // What the refusals kept out: every endpoint still reads the customer's loan.
    for (const path of [`/view-loan/${id}`, `/view-statement/${customer_id}/${id}`]) {
      expect((await call(path)).status, path).toBe(200);
    }
  });
});
