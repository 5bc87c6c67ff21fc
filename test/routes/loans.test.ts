import { describe, expect, it } from "vitest";
import { replayEveryDecision } from "../support/decisions";
import { call, callJson, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedLoan } from "../support/seed";
import { countLoans } from "../support/table-counts";

describe("POST /create-loan", () => {
  it("books an approved loan at the corrected rate, starting on the as-of date", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const { status, body } = await callJson("/create-loan", {
      body: { customer_id, loan_amount: 100_000, interest_rate: 10, tenure: 12 },
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      loan_id: expect.any(Number),
      customer_id,
      loan_approved: true,
      message: expect.stringMatching(/approved/i),
      monthly_installment: 8884.88,
      interest_rate: 12,
      start_date: "2025-06-15",
      end_date: "2026-06-15",
      reasons: [],
    });
    const view = await callJson(`/view-loan/${body.loan_id}`);
    expect(view.body).toMatchObject({
      interest_rate: 12,
      monthly_installment: 8884.88,
      emis_paid_on_time: 0,
      repayments_left: 12,
      is_current: true,
    });
  });

  it("clamps the end date to the month's end", async () => {
    const { customer_id } = await registerCustomer();
    const { body } = await callJson("/create-loan", {
      body: { customer_id, loan_amount: 1000, interest_rate: 12, tenure: 1 },
      env: { AS_OF_DATE: "2024-01-31" },
    });
    expect(body).toMatchObject({ start_date: "2024-01-31", end_date: "2024-02-29" });
  });

  it("refuses with 200, loan_id null, the reasons and a human message; nothing is booked", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 10_000 });
    const { status, body } = await callJson("/create-loan", {
      body: { customer_id, loan_amount: 5_000_000, interest_rate: 10, tenure: 12 },
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      loan_id: null,
      customer_id,
      loan_approved: false,
      monthly_installment: expect.any(Number),
    });
    const reasons = body.reasons as { code: string; message: string }[];
    expect(reasons.map((r) => r.code)).toEqual(["OVER_APPROVED_LIMIT", "EMI_OVER_HALF_SALARY"]);
    expect(body.message).toBe(reasons[0]?.message);
    expect(await countLoans(customer_id)).toBe(0);
  });

  it("answers an unknown customer with 404 and a bad body with 400", async () => {
    await expectProblem(
      await call("/create-loan", {
        body: { customer_id: 88_888_888, loan_amount: 1, interest_rate: 1, tenure: 1 },
      }),
      404,
    );
    await expectProblem(
      await call("/create-loan", {
        body: { customer_id: 1, loan_amount: "lots", interest_rate: 1, tenure: 1 },
      }),
      400,
      "loan_amount",
    );
  });
});

describe("GET /view-loan/{loan_id}", () => {
  it("shows the loan with its customer and status fields", async () => {
    const customer = await registerCustomer({ first_name: "Ravi", last_name: "Kumar", age: 41 });
    const loanId = await seedLoan({
      customerId: customer.customer_id,
      amount: 250_000,
      rate: 8.2,
      tenure: 24,
      emisPaidOnTime: 20,
      startDate: "2023-03-09",
      endDate: "2025-03-09",
      monthlyPayment: 11_345.5,
      sourceLoanId: 7_000_001,
    });
    const { status, body } = await callJson(`/view-loan/${loanId}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      loan_id: loanId,
      source_loan_id: 7_000_001,
      loan_amount: 250_000,
      interest_rate: 8.2,
      monthly_installment: 11_345.5,
      // Ingested, not yet paid through the API: the workbook's Monthly payment.
      monthly_installment_basis: "workbook",
      tenure: 24,
      emis_paid_on_time: 20,
      repayments_left: 4,
      start_date: "2023-03-09",
      end_date: "2025-03-09",
      is_current: false,
      // Past its end date with 4 periods unpaid: not current, but not repaid either.
      status: "active",
      closed_on: null,
      customer: {
        id: customer.customer_id,
        first_name: "Ravi",
        last_name: "Kumar",
        phone_number: expect.any(Number),
        age: 41,
      },
    });
  });

  it.each([
    "/view-loan/0",
    "/view-loan/-1",
    "/view-loan/abc",
    "/view-loan/1.5",
    "/view-loan/99999999999999999999",
  ])("rejects %s with 400", async (path) => {
    await expectProblem(await call(path), 400, "loan_id");
  });

  it("answers an unknown loan with 404, also under /api and with a trailing slash", async () => {
    await expectProblem(await call("/view-loan/987654321"), 404);
    await expectProblem(await call("/api/view-loan/987654321/"), 404);
  });

  it("names the path asked for in a 404 no route matched, as its instance does", async () => {
    // The router reads the path without its last trailing slash; the answer must not.
    const body = await expectProblem(await call("/view-loan/1003//"), 404);
    expect(body.detail).toBe("There is no resource at /view-loan/1003//.");
    expect((body as { instance?: string }).instance).toBe("/view-loan/1003//");
  });

  it("answers POST with 405 and Allow: GET, HEAD", async () => {
    const response = await call("/view-loan/1", { method: "POST", body: {} });
    await expectProblem(response, 405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("GET /view-loans/{customer_id}", () => {
  it("lists current and closed loans, oldest first", async () => {
    const { customer_id } = await registerCustomer();
    const closed = await seedLoan({
      customerId: customer_id,
      amount: 10_000,
      startDate: "2020-01-01",
      endDate: "2021-01-01",
      emisPaidOnTime: 12,
    });
    const current = await seedLoan({
      customerId: customer_id,
      amount: 20_000,
      startDate: "2025-01-01",
      endDate: "2026-01-01",
      emisPaidOnTime: 3,
    });
    const { status, body } = await callJson<Record<string, unknown>[]>(
      `/api/view-loans/${customer_id}/`,
    );
    expect(status).toBe(200);
    expect(body.map((l) => [l.loan_id, l.is_current, l.repayments_left])).toEqual([
      [closed, false, 0],
      [current, true, 9],
    ]);
    for (const loan of body) {
      expect(Object.keys(loan)).toEqual(
        expect.arrayContaining([
          "loan_id",
          "loan_amount",
          "interest_rate",
          "monthly_installment",
          "repayments_left",
        ]),
      );
    }
  });

  it("returns [] for a customer without loans and 404 for an unknown one", async () => {
    const { customer_id } = await registerCustomer();
    expect((await callJson(`/view-loans/${customer_id}`)).body).toEqual([]);
    await expectProblem(await call("/view-loans/77777777"), 404);
  });
});

// Last: tests in a file run in order, so this sees every record the tests above stored. A test,
// not an afterAll: a `-t` run of some other test skips it instead of failing on an empty table.
it("replays every decision record this file's requests stored to its stored outcome", async () => {
  expect(await replayEveryDecision()).toBeGreaterThan(0);
});
