import { describe, expect, it } from "vitest";
import { payments } from "../../src/db/schema";
import { periodInterestPaise } from "../../src/domain/amortisation";
import { monthlyInstalmentPaise } from "../../src/domain/loan-terms";
import { backend } from "../support/backend";
import { replayEveryDecision } from "../support/decisions";
import { call, callJson, registerCustomer } from "../support/http";
import { EXTREME_LEGACY_LOAN, type LoanRow, storeLegacyLoan } from "../support/legacy-loan";
import { expectProblem } from "../support/problem";

/*
 * Loans stored by older releases, written straight into the database as those releases left them:
 * rows today's ingestion refuses, and the closed_on that migration 0003_servicing.sql computed in
 * SQL for loans stored before it. A stored loan the product once accepted never gets a 5xx, and
 * reading it changes nothing stored (docs/servicing.md#loans-stored-by-older-releases).
 */

/**
 * Migration 0003's backfill of closed_on (migrations/0003_servicing.sql), run on one loan: the
 * last due date, start_date + tenure months clamped to the month's end, for a loan whose recorded
 * count covers its tenure. SQLite's date() gives NULL past 9999-12-31.
 */
async function applyMigration0003ClosedOn(loanId: number): Promise<void> {
  await backend().query(
    "UPDATE `loans` SET `closed_on` = min(date(`start_date`, 'start of month', '+' || `tenure` || ' months', '+' || (CAST(strftime('%d', `start_date`) AS INTEGER) - 1) || ' days'), date(`start_date`, 'start of month', '+' || (`tenure` + 1) || ' months', '-1 day')) WHERE `emis_paid_on_time` >= `tenure` AND `id` = ?",
    [loanId],
  );
}

/**
 * One API payment of the EMI on period 1, dated the as-of date: a release before model 2026-12.10
 * accepted a payment dated before the loan's start. Stored as make-payment stores one.
 */
async function storePaymentBeforeStart(customerId: number, loanId: number): Promise<void> {
  const emiPaise = monthlyInstalmentPaise(10_000_000, 1000, 600);
  const interestPaise = periodInterestPaise(10_000_000, 1000);
  const balanceAfterPaise = 10_000_000 - (emiPaise - interestPaise);
  await backend()
    .database()
    .insert(payments)
    .values({
      loanId,
      customerId,
      period: 1,
      paidOn: "2025-06-15",
      amountPaise: emiPaise,
      interestPaise,
      principalPaise: emiPaise - interestPaise,
      balanceAfterPaise,
      onTime: true,
    });
  await backend().query(
    "UPDATE loans SET api_payments = 1, outstanding_principal_paise = ?, periods_settled = 1, emi_paise = ?, monthly_payment_paise = ?, emis_paid_on_time = 1 WHERE id = ?",
    [balanceAfterPaise, emiPaise, emiPaise, loanId],
  );
}

async function storedRows(loanId: number) {
  return {
    loan: await backend().query("SELECT * FROM loans WHERE id = ?", [loanId]),
    payments: await backend().query("SELECT * FROM payments WHERE loan_id = ?", [loanId]),
  };
}

interface LoanJson {
  loan_id: number;
  status: string;
  closed_on: string | null;
  is_current: boolean;
  repayments_left: number;
  [field: string]: unknown;
}

describe("a loan stored before 2026-12.9 whose schedule runs past 9999-12-31", () => {
  // 9990-01-31 + 600 months is in 10040: every row the 2026-12.9 row contract now refuses.
  const cases: {
    name: string;
    row: Partial<LoanRow>;
    migrated?: true;
    paidBeforeStart?: true;
    expected: object;
  }[] = [
    {
      name: "nothing paid",
      row: {},
      expected: { status: "active", closed_on: null, repayments_left: 600, emis_paid_on_time: 0 },
    },
    {
      name: "API-booked (an AS_OF_DATE past 9949 booked it)",
      row: { sourceLoanId: null },
      expected: { status: "active", closed_on: null, repayments_left: 600 },
    },
    {
      name: "with an API payment dated before its start (accepted before 2026-12.10)",
      row: {},
      paidBeforeStart: true,
      expected: { status: "active", closed_on: null, repayments_left: 599, emis_paid_on_time: 1 },
    },
    {
      name: "settled by its recorded count past 9999-12-31, still open",
      row: { emisPaidOnTime: 200, workbookEmisPaidOnTime: 200 },
      expected: { status: "active", closed_on: null, repayments_left: 400, emis_paid_on_time: 200 },
    },
    {
      name: "repaid by its recorded count, closed_on from migration 0003 (NULL past 9999)",
      row: { emisPaidOnTime: 600, workbookEmisPaidOnTime: 600 },
      migrated: true,
      expected: { status: "closed", closed_on: null, repayments_left: 0, emis_paid_on_time: 600 },
    },
    {
      name: "repaid by its recorded count, closed_on in a five-digit year (ingested 0003 to 2026-12.9)",
      row: { emisPaidOnTime: 600, workbookEmisPaidOnTime: 600, closedOn: "10040-01-31" },
      expected: { status: "closed", closed_on: null, repayments_left: 0, emis_paid_on_time: 600 },
    },
    {
      name: "recorded count above its tenure (stored before that rule)",
      row: { emisPaidOnTime: 650, workbookEmisPaidOnTime: 650, closedOn: "10040-01-31" },
      expected: { status: "closed", closed_on: null, repayments_left: 0, emis_paid_on_time: 650 },
    },
  ];

  for (const { name, row, migrated, paidBeforeStart, expected } of cases) {
    it(`${name}: every endpoint answers, none with a 5xx, and nothing stored changes`, async () => {
      const { customer_id } = await registerCustomer();
      const loanId = await storeLegacyLoan(backend().database(), customer_id, row);
      if (migrated) await applyMigration0003ClosedOn(loanId);
      if (paidBeforeStart) await storePaymentBeforeStart(customer_id, loanId);
      const before = await storedRows(loanId);

      // view-loan and view-loans: every field can be written exactly, so they answer with it.
      const viewed = await callJson<LoanJson>(`/view-loan/${loanId}`);
      expect(viewed.status).toBe(200);
      expect(viewed.body).toMatchObject({
        loan_id: loanId,
        start_date: "9990-01-31",
        end_date: "9999-12-31",
        is_current: false,
        ...expected,
      });
      const listed = await callJson<LoanJson[]>(`/view-loans/${customer_id}`);
      expect(listed.status).toBe(200);
      const { customer: _customer, ...summary } = viewed.body;
      expect(listed.body).toEqual([summary]);
      // Exact: the amounts never depend on the dates, so a twin started 400 years earlier (the
      // Gregorian calendar repeats every 400 years), whose schedule fits the calendar, agrees.
      if (!paidBeforeStart) {
        const { customer_id: twinCustomer } = await registerCustomer();
        const twinId = await storeLegacyLoan(backend().database(), twinCustomer, {
          ...row,
          closedOn: null,
          startDate: "9590-01-31",
          endDate: "9599-12-31",
        });
        const twin = await callJson<LoanJson>(`/view-loan/${twinId}`);
        expect(twin.body).toMatchObject({
          status: viewed.body.status,
          repayments_left: viewed.body.repayments_left,
          emis_paid_on_time: viewed.body.emis_paid_on_time,
          monthly_installment: viewed.body.monthly_installment,
          closed_on: viewed.body.status === "closed" ? "9640-01-31" : null,
        });
      }

      // The statement lists every period with its due date and the schedule's end date: neither
      // can be written, so it is a 409 naming the loan, not a partial schedule.
      const statement = await call(`/view-statement/${customer_id}/${loanId}`);
      const problem = await expectProblem(statement, 409);
      expect(problem).toMatchObject({
        type: "/problems/schedule-beyond-calendar",
        loan_id: loanId,
        last_schedule_date: "9999-12-31",
      });
      expect(problem.detail).toContain(`Loan ${loanId}`);
      expect(problem.detail).toContain(`/view-loan/${loanId}`);
      expect((await call(`/api/view-statement/${customer_id}/${loanId}/`)).status).toBe(409);

      // It starts after any as-of date the app accepts (AS_OF_DATE is at most 9949-12-31).
      const payment = await callJson(`/make-payment/${customer_id}/${loanId}`, {
        body: { amount: 100 },
      });
      expect(payment.status).toBe(409);
      expect(payment.body).toMatchObject({ code: "LOAN_NOT_STARTED", start_date: "9990-01-31" });

      // A loan not taken yet counts for nothing in the score or the rules.
      const request = { customer_id, loan_amount: 10_000, interest_rate: 12, tenure: 12 };
      const eligibility = await callJson("/check-eligibility", { body: request });
      expect(eligibility.status).toBe(200);
      expect(eligibility.body).toMatchObject({ approval: true, credit_score: 40 });
      const booked = await callJson<{ decision_id: string }>("/create-loan", { body: request });
      expect(booked.status).toBe(201);
      // The record keeps the loan as the decision read it: as it stands, view-loan's closed_on.
      const record = await callJson<{
        inputs: { loans: { loan_id: number; closed_on: string | null }[] };
      }>(`/decisions/${booked.body.decision_id}`);
      expect(record.status).toBe(200);
      expect(record.body.inputs.loans).toMatchObject([
        { loan_id: loanId, closed_on: viewed.body.closed_on },
      ]);

      expect(await storedRows(loanId)).toEqual(before);
    });
  }
});

// The body named the loan and the last date in fields the document's 409 (a plain Problem) left
// out, so a client generated from it had no way to read them.
it("declares the schedule-beyond-calendar 409's own fields in the OpenAPI document", async () => {
  const { customer_id } = await registerCustomer();
  const loanId = await storeLegacyLoan(backend().database(), customer_id);
  const problem = await expectProblem(await call(`/view-statement/${customer_id}/${loanId}`), 409);
  const document = await callJson<DocumentWithSchemas>("/openapi.json");
  const declared = problemSchemaOf(document.body, "/view-statement/{customer_id}/{loan_id}", "409");
  const own = Object.keys(problem).filter((field) => !(field in PROBLEM_FIELDS));
  expect(own.sort()).toEqual(["last_schedule_date", "loan_id"]);
  for (const field of own) {
    expect(declared.required, field).toContain(field);
    expect(declared.properties, field).toHaveProperty([field]);
  }
  expect(declared.properties.loan_id).toMatchObject({ type: "integer" });
  expect(declared.properties.last_schedule_date).toMatchObject({
    type: "string",
    format: "date",
    example: (problem as Record<string, unknown>).last_schedule_date,
  });
});

const PROBLEM_FIELDS = {
  type: 1,
  title: 1,
  status: 1,
  detail: 1,
  instance: 1,
  request_id: 1,
  errors: 1,
};

interface SchemaObject {
  $ref?: string;
  allOf?: SchemaObject[];
  required?: string[];
  properties?: Record<string, Record<string, unknown>>;
}
interface DocumentWithSchemas {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, SchemaObject> };
}

/** A GET response's problem+json schema, its properties and `required` gathered through $ref and allOf. */
function problemSchemaOf(document: DocumentWithSchemas, path: string, status: string) {
  const response = document.paths[path]?.get?.responses[status] as {
    content: { "application/problem+json": { schema: SchemaObject } };
  };
  const merged = {
    required: [] as string[],
    properties: {} as Record<string, Record<string, unknown>>,
  };
  const collect = (schema: SchemaObject): void => {
    if (schema.$ref) {
      collect(document.components.schemas[schema.$ref.split("/").at(-1) ?? ""] ?? {});
      return;
    }
    merged.required.push(...(schema.required ?? []));
    Object.assign(merged.properties, schema.properties);
    for (const part of schema.allOf ?? []) collect(part);
  };
  collect(response.content["application/problem+json"].schema);
  return merged;
}

/** A new customer with EXTREME_LEGACY_LOAN, `recorded` EMIs paid on time, as migration 0003 left it. */
async function customerWithMigratedExtremeLoan(recorded: number) {
  const { customer_id } = await registerCustomer();
  const loanId = await storeLegacyLoan(backend().database(), customer_id, {
    ...EXTREME_LEGACY_LOAN,
    emisPaidOnTime: recorded,
    workbookEmisPaidOnTime: recorded,
  });
  await applyMigration0003ClosedOn(loanId);
  return { customer_id, loanId };
}

describe("is_current of an extreme loan whose closed_on migration 0003 computed", () => {
  // ₹1,000 at 0 % over 600 months: the EMI of ₹1.67 (rounded up) repays it in period 599, a month
  // before its last due date (docs/servicing.md#rounding-at-extreme-terms). Started 1975-07-01,
  // period 599 fell due on 2025-06-01 and period 600 on 2025-07-01; the as-of date is 2025-06-15.

  it("agrees with status and closed_on when the recorded count covers the tenure", async () => {
    const { customer_id, loanId } = await customerWithMigratedExtremeLoan(600);
    // The migration closed it on its last due date, a month after the schedule repays it.
    const [stored] = await backend().query<{ closed_on: string }>(
      "SELECT closed_on FROM loans WHERE id = ?",
      [loanId],
    );
    expect(stored?.closed_on).toBe("2025-07-01");

    const viewed = await callJson<LoanJson>(`/view-loan/${loanId}`);
    expect(viewed.status).toBe(200);
    expect(viewed.body).toMatchObject({ status: "closed", closed_on: "2025-06-01" });
    // Repaid on or before the as-of date: not current (docs/product.md#definitions).
    expect(viewed.body.is_current).toBe(false);
    const listed = await callJson<LoanJson[]>(`/view-loans/${customer_id}`);
    expect(listed.body[0]).toMatchObject({
      status: "closed",
      closed_on: "2025-06-01",
      is_current: false,
    });
  });

  it("agrees with status and closed_on when the migration left it open (599 of 600 recorded)", async () => {
    const { loanId } = await customerWithMigratedExtremeLoan(599);
    const viewed = await callJson<LoanJson>(`/view-loan/${loanId}`);
    expect(viewed.body).toMatchObject({
      status: "closed",
      closed_on: "2025-06-01",
      repayments_left: 0,
      is_current: false,
    });
  });

  it("is not current once closed, though closed only after the as-of date", async () => {
    const { loanId } = await customerWithMigratedExtremeLoan(600);
    // As of 2025-05-15 period 599, which repays it, has yet to fall due; but the recorded count
    // says it is repaid, and a closed loan is not current, whatever its closed_on (until model
    // 2026-12.19 it was current there while shown closed).
    const viewed = await callJson<LoanJson>(`/view-loan/${loanId}`, {
      env: { AS_OF_DATE: "2025-05-15" },
    });
    expect(viewed.body).toMatchObject({
      status: "closed",
      closed_on: "2025-06-01",
      is_current: false,
    });
  });
});

describe("a decision about a customer with such a loan reads it as view-loan shows it", () => {
  // The loan above, repaid by period 599 on 2025-06-01; the as-of date is 2025-06-15. Migration
  // 0003 stored closed_on 2025-07-01 (600 recorded) or left it null (599 recorded): by the column
  // the loan was still current, its ₹1,000 toward the limit and its ₹1.67 toward the 50 % rule.
  const request = { loan_amount: 10_000, interest_rate: 12, tenure: 12 };

  async function customerWithExtremeLoan(recorded: number) {
    const { customer_id, loanId } = await customerWithMigratedExtremeLoan(recorded);
    const viewed = await callJson<LoanJson>(`/view-loan/${loanId}`);
    expect(viewed.body).toMatchObject({ closed_on: "2025-06-01", is_current: false });
    return { customer_id, loanId };
  }

  async function setBorrower(customerId: number, salaryPaise: number, limitPaise: number) {
    await backend().query(
      "UPDATE customers SET monthly_salary_paise = ?, approved_limit_paise = ? WHERE id = ?",
      [salaryPaise, limitPaise, customerId],
    );
  }

  /** create-loan books, and its record keeps the state's closed_on, which replays to it. */
  async function expectBookedWithStateClosedOn(customerId: number, loanId: number) {
    const booked = await callJson<{ decision_id: string; loan_approved: boolean }>("/create-loan", {
      body: { customer_id: customerId, ...request },
    });
    expect(booked.status).toBe(201);
    const record = await callJson<{
      inputs: { loans: { loan_id: number; closed_on: string | null }[] };
    }>(`/decisions/${booked.body.decision_id}`);
    expect(record.body.inputs.loans).toMatchObject([{ loan_id: loanId, closed_on: "2025-06-01" }]);
  }

  for (const recorded of [600, 599]) {
    it(`${recorded} recorded: not current in check-eligibility's position`, async () => {
      const { customer_id } = await customerWithExtremeLoan(recorded);
      const eligibility = await callJson("/check-eligibility", {
        body: { customer_id, ...request },
      });
      expect(eligibility.status).toBe(200);
      expect(eligibility.body).toMatchObject({ current_loans_amount: 0, current_loans_emi: 0 });
    });

    it(`${recorded} recorded: its EMI no longer counts toward the 50 % rule`, async () => {
      const { customer_id, loanId } = await customerWithExtremeLoan(recorded);
      const first = await callJson<{ monthly_installment: number }>("/check-eligibility", {
        body: { customer_id, ...request },
      });
      // Twice the EMI asked for, plus ₹1: within half the salary alone, not with ₹1.67 more.
      const emiPaise = Math.round(first.body.monthly_installment * 100);
      await setBorrower(customer_id, 2 * emiPaise + 100, 100_000_000);
      const eligibility = await callJson("/check-eligibility", {
        body: { customer_id, ...request },
      });
      expect(eligibility.body).toMatchObject({ approval: true, reasons: [] });
      await expectBookedWithStateClosedOn(customer_id, loanId);
    });

    it(`${recorded} recorded: its amount no longer counts toward the approved limit`, async () => {
      const { customer_id, loanId } = await customerWithExtremeLoan(recorded);
      // ₹10,500: the ₹10,000 asked for fits, with the ₹1,000 loan it would not.
      await setBorrower(customer_id, 10_000_000, 1_050_000);
      const eligibility = await callJson("/check-eligibility", {
        body: { customer_id, ...request },
      });
      expect(eligibility.body).toMatchObject({ approval: true, reasons: [] });
      await expectBookedWithStateClosedOn(customer_id, loanId);
    });
  }
});

// Last: tests in a file run in order, so this sees every record the tests above stored, each made
// with a legacy loan among its inputs. A test, not an afterAll: a `-t` run skips it.
it("replays every decision record here to its stored outcome", async () => {
  expect(await replayEveryDecision()).toBeGreaterThan(0);
});
