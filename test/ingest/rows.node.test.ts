import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { IngestMessageSchema } from "../../src/ingest/messages";
import { CustomerRowSchema, LoanRowSchema, toFieldProblems } from "../../src/ingest/rows";

const customer = {
  row: 2,
  customer_id: 1,
  first_name: "Aaron",
  last_name: "Garcia",
  age: 63,
  phone_number: 9629317944,
  monthly_salary: 50000,
  approved_limit: 4500000,
};

const loan = {
  row: 2,
  customer_id: 14,
  loan_id: 5930,
  loan_amount: 900000,
  tenure: 129,
  interest_rate: 8.2,
  monthly_payment: 15344,
  emis_paid_on_time: 114,
  start_date: "2017-03-09",
  end_date: "2027-12-09",
};

function problemsOf(schema: v.GenericSchema, input: unknown) {
  const result = v.safeParse(schema, input);
  return result.success ? [] : toFieldProblems(result.issues);
}

describe("CustomerRowSchema", () => {
  it("holds salaries and names to the API's own rules (one set of field rules)", () => {
    expect(problemsOf(CustomerRowSchema, { ...customer, monthly_salary: 1_000_000_000 })).toEqual(
      [],
    );
    expect(
      problemsOf(CustomerRowSchema, { ...customer, monthly_salary: 1_000_000_000.01 }),
    ).toEqual([{ field: "monthly_salary", reason: "must be at most 1000000000" }]);
    expect(problemsOf(CustomerRowSchema, { ...customer, first_name: "a\u0000b" })).toEqual([
      { field: "first_name", reason: "must not contain control characters" },
    ]);
    expect(problemsOf(CustomerRowSchema, { ...customer, last_name: "x\ud800" })).toEqual([
      { field: "last_name", reason: "must not contain unpaired surrogates" },
    ]);
  });

  it("accepts a row of the lender's file and trims names", () => {
    const result = v.safeParse(CustomerRowSchema, { ...customer, first_name: "  Aaron " });
    expect(result.success && result.output.first_name).toBe("Aaron");
  });

  it.each([
    ["age", 17, "must be at least 18"],
    ["age", 121, "must be at most 120"],
    ["age", 30.5, "must be a whole number"],
    ["phone_number", 999_999, "must be at least 1000000"],
    ["phone_number", 1e15, "must be at most 999999999999999"],
    ["monthly_salary", 0, "must be greater than 0"],
    ["monthly_salary", 1000.005, "must have at most 2 decimal places"],
    ["approved_limit", -1, "must be at least 0"],
    ["first_name", "   ", "must not be empty"],
    ["last_name", "x".repeat(101), "must be at most 100 characters"],
    ["customer_id", 0, "must be at least 1"],
    ["customer_id", "7", 'must be a number, but got "7"'],
    ["customer_id", null, "must be a number, but it is empty"],
  ])("rejects %s = %j: %s", (field, value, message) => {
    expect(problemsOf(CustomerRowSchema, { ...customer, [field]: value })).toEqual([
      { field, reason: message },
    ]);
  });
});

describe("LoanRowSchema", () => {
  it("accepts a loan row, with or without the remap mark", () => {
    expect(v.is(LoanRowSchema, loan)).toBe(true);
    expect(v.is(LoanRowSchema, { ...loan, remap: true })).toBe(true);
    expect(problemsOf(LoanRowSchema, { ...loan, remap: false })).toEqual([
      { field: "remap", reason: "must be true when present" },
    ]);
  });

  it.each([
    ["loan_amount", 0, "must be greater than 0"],
    ["loan_amount", 1_000_000_000.01, "must be at most 1000000000"],
    ["tenure", 0, "must be at least 1"],
    ["tenure", 601, "must be at most 600"],
    ["interest_rate", 100.01, "must be at most 100"],
    ["interest_rate", 8.205, "must have at most 2 decimal places"],
    ["emis_paid_on_time", -1, "must be at least 0"],
    ["start_date", "2023-02-29", 'must be a real calendar date as YYYY-MM-DD, got "2023-02-29"'],
    ["start_date", 42803, "must be a date (YYYY-MM-DD), but got 42803"],
  ])("rejects %s = %j: %s", (field, value, message) => {
    // No EMIs paid, so a tenure of 0 is not also a tenure shorter than the EMIs paid.
    const base = { ...loan, emis_paid_on_time: 0 };
    expect(problemsOf(LoanRowSchema, { ...base, [field]: value })).toEqual([
      { field, reason: message },
    ]);
  });

  it("rejects an end date before the start date, on end_date", () => {
    expect(problemsOf(LoanRowSchema, { ...loan, end_date: "2017-03-08" })).toEqual([
      { field: "end_date", reason: "must not be before the start date" },
    ]);
    expect(v.is(LoanRowSchema, { ...loan, end_date: loan.start_date })).toBe(true);
  });

  it("rejects more EMIs paid on time than the tenure has months, on emis_paid_on_time", () => {
    expect(problemsOf(LoanRowSchema, { ...loan, emis_paid_on_time: loan.tenure + 1 })).toEqual([
      { field: "emis_paid_on_time", reason: "must not exceed the tenure" },
    ]);
    expect(v.is(LoanRowSchema, { ...loan, emis_paid_on_time: loan.tenure })).toBe(true);
  });
});

describe("IngestMessageSchema (a queue message)", () => {
  const message = (kind: string, rows: unknown[], jobId = "j1") => ({
    job_id: jobId,
    seq: 0,
    kind,
    rows,
  });

  it("pairs each kind with its own rows", () => {
    expect(v.is(IngestMessageSchema, message("customers", [customer]))).toBe(true);
    expect(v.is(IngestMessageSchema, message("loans", [loan]))).toBe(true);
    expect(v.is(IngestMessageSchema, message("loans", [customer]))).toBe(false);
    expect(v.is(IngestMessageSchema, message("customers", [loan]))).toBe(false);
  });

  it("refuses unknown kinds, empty chunks and empty job ids", () => {
    expect(v.is(IngestMessageSchema, message("payments", [customer]))).toBe(false);
    expect(v.is(IngestMessageSchema, message("customers", []))).toBe(false);
    expect(v.is(IngestMessageSchema, message("customers", [customer], ""))).toBe(false);
  });

  it("survives a JSON round trip, as a queue message does", () => {
    const chunk = message("loans", [loan, { ...loan, row: 3, remap: true }]);
    const result = v.safeParse(IngestMessageSchema, JSON.parse(JSON.stringify(chunk)));
    expect(result.success && result.output).toEqual(chunk);
  });
});
