import { describe, expect, it } from "vitest";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { backend } from "../support/backend";
import { call, callJson, registerCustomer } from "../support/http";
import { EXTREME_LEGACY_LOAN, storeLegacyLoan } from "../support/legacy-loan";
import { expectProblem } from "../support/problem";

/*
 * Where the loan bound (src/lib/loan-bound.ts) meets the guard's repaidByState ids
 * (src/routes/loans/book-loan.ts): a customer one loan below the bound, every loan of whom is one
 * migration 0003 left current by its closed_on column though its state repaid it (the extreme loan
 * test/routes/legacy-loans.test.ts reads too: 600 months from 1975-07-01, repaid by 2025-06-01).
 * The decision counts none of them; the guarded insert gets all 4,999 ids in one json_each argument.
 */
describe("a customer at 4,999 loans, each repaid by its state but current by its column", () => {
  it("books the 5,000th loan within the limit, then is refused on the count", async () => {
    const { customer_id } = await registerCustomer();
    const firstId = await storeLegacyLoan(backend().database(), customer_id, {
      ...EXTREME_LEGACY_LOAN,
      sourceLoanId: 880_000,
      emisPaidOnTime: 600,
      workbookEmisPaidOnTime: 600,
      // Migration 0003's backfill for this loan: its last due date, after the as-of date.
      closedOn: "2025-07-01",
    });
    const [row] = await backend().query("SELECT * FROM loans WHERE id = ?", [firstId]);
    const columns = Object.keys(row ?? {}).filter((c) => c !== "id" && c !== "source_loan_id");
    await backend().query(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${LOANS_PER_CUSTOMER_AT_MOST - 2})
       INSERT INTO loans (source_loan_id, ${columns.join(", ")})
       SELECT 880000 + i, ${columns.map((c) => `l.${c}`).join(", ")} FROM n, loans AS l WHERE l.id = ?`,
      [firstId],
    );
    const [count] = await backend().query<{ n: number }>(
      "SELECT count(*) AS n FROM loans WHERE customer_id = ?",
      [customer_id],
    );
    expect(Number(count?.n)).toBe(LOANS_PER_CUSTOMER_AT_MOST - 1);
    // ₹10,500 approved: the ₹10,000 asked for fits; with one ₹1,000 loan counted it would not.
    await backend().query(
      "UPDATE customers SET monthly_salary_paise = ?, approved_limit_paise = ? WHERE id = ?",
      [10_000_000, 1_050_000, customer_id],
    );
    const request = { customer_id, loan_amount: 10_000, interest_rate: 12, tenure: 12 };

    const eligibility = await callJson("/check-eligibility", { body: request });
    expect(eligibility.status).toBe(200);
    expect(eligibility.body).toMatchObject({ approval: true, current_loans_amount: 0 });

    const booked = await callJson<{ loan_approved: boolean; loan_id: number | null }>(
      "/create-loan",
      { body: request, headers: { "Idempotency-Key": `bound-legacy-${customer_id}` } },
    );
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ loan_approved: true });

    // The booking's replay is its 201, though the customer now holds 5,000 loans.
    const replayed = await callJson("/create-loan", {
      body: request,
      headers: { "Idempotency-Key": `bound-legacy-${customer_id}` },
    });
    expect(replayed.status).toBe(201);
    expect(replayed.body).toEqual(booked.body);

    for (const path of ["/check-eligibility", "/create-loan"]) {
      const refused = await expectProblem(await call(path, { body: request }), 409);
      expect(refused.type).toMatch(/loan-history-too-long$/);
    }
  }, 60_000);
});
