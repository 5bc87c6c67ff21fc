import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  ChunkEnvelopeSchema,
  IngestBatchSchema,
  IngestMessageSchema,
} from "../../src/ingest/messages";
import { readChunk } from "../../src/ingest/read-chunk";
import { CustomerRowSchema, LoanRowSchema, toFieldProblems } from "../../src/ingest/rows";
import { loanRequestBody } from "../../src/routes/shared-schemas";
import { propertyRuns } from "../support/property-seed";

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
    // A whole number has no decimal places, though 1e21 × 100 / 100 reads back as another double.
    ["loan_amount", 1e21, "must be at most 1000000000"],
    ["monthly_payment", 1e21, "must be at most 1000000000000"],
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

  it("refuses a loan whose schedule would run past 9999-12-31, on start_date", () => {
    const reason =
      "must leave room for the tenure: the last instalment would fall after 9999-12-31";
    // Accepted before: the statement then showed an end date of 10049-12-31.
    expect(
      problemsOf(LoanRowSchema, {
        ...loan,
        tenure: 600,
        start_date: "9999-12-31",
        end_date: "9999-12-31",
      }),
    ).toEqual([{ field: "start_date", reason }]);
    expect(
      problemsOf(LoanRowSchema, { ...loan, start_date: "9999-12-01", end_date: "9999-12-31" }),
    ).toEqual([{ field: "start_date", reason }]);
    // The last schedule that fits: its final instalment falls due on 9999-12-31.
    expect(
      v.is(LoanRowSchema, {
        ...loan,
        tenure: 600,
        start_date: "9949-12-31",
        end_date: "9999-12-31",
      }),
    ).toBe(true);
    // The row's own end date is a YYYY-MM-DD date, so never later than 9999-12-31.
    expect(problemsOf(LoanRowSchema, { ...loan, end_date: "10049-12-31" })).toEqual([
      {
        field: "end_date",
        reason: 'must be a real calendar date as YYYY-MM-DD, got "10049-12-31"',
      },
    ]);
  });

  it("refuses a loan whose EMI rounds to 0.00, on loan_amount, as the API does", () => {
    const tooSmall = { ...loan, loan_amount: 0.01, tenure: 600, interest_rate: 0 };
    const reason = "is too small for the tenure: the monthly instalment would round to 0.00";
    expect(problemsOf(LoanRowSchema, { ...tooSmall, emis_paid_on_time: 0 })).toEqual([
      { field: "loan_amount", reason },
    ]);
    // One paisa a month is payable: 0.01 over one month, or 6.00 over 600 months at 0 %.
    expect(v.is(LoanRowSchema, { ...tooSmall, tenure: 1, emis_paid_on_time: 0 })).toBe(true);
    expect(v.is(LoanRowSchema, { ...tooSmall, loan_amount: 6, emis_paid_on_time: 0 })).toBe(true);
  });
});

describe("the instalment rule, one function for the API and the workbook", () => {
  const apiSchema = loanRequestBody.content["application/json"].schema;

  it("refuses exactly the terms the API refuses, on loan_amount", () => {
    const terms = fc.record({
      loan_amount: fc.integer({ min: 1, max: 2_000 }).map((paise) => paise / 100),
      interest_rate: fc.constantFrom(0, 0.01, 1, 12.5),
      tenure: fc.integer({ min: 1, max: 600 }),
    });
    fc.assert(
      fc.property(terms, (term) => {
        const api = apiSchema.safeParse({ customer_id: 1, ...term });
        const row = problemsOf(LoanRowSchema, { ...loan, ...term, emis_paid_on_time: 0 });
        expect(row.length === 0, JSON.stringify(term)).toBe(api.success);
        if (!api.success) {
          expect(row).toEqual([{ field: "loan_amount", reason: api.error.issues[0]?.message }]);
        }
      }),
      propertyRuns("instalment rule", 500),
    );
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

  it("takes a seq only as a safe integer: past 2^53 two numbers read as one", () => {
    const withSeq = (seq: number) => ({ ...message("customers", [customer]), seq });
    expect(v.is(IngestMessageSchema, withSeq(Number.MAX_SAFE_INTEGER))).toBe(true);
    for (const seq of [1e300, 2 ** 53, -1, 0.5]) {
      const result = v.safeParse(IngestMessageSchema, withSeq(seq));
      expect(result.success ? [] : toFieldProblems(result.issues).map((p) => p.field)).toEqual([
        "seq",
      ]);
    }
    // Both are 2^53 once parsed: they would have been one chunk.
    expect(JSON.parse("9007199254740993")).toBe(JSON.parse("9007199254740992"));
  });
});

describe("a chunk's row numbers", () => {
  const rows = [customer, { ...customer, row: 3, customer_id: 2 }, { ...customer, customer_id: 3 }];
  const repeated = { job_id: "j1", seq: 0, kind: "customers", rows };
  const problem = {
    field: "rows.2.row",
    reason: "repeats the row number of rows.0: each row of a sheet has its own number",
  };

  it("are unique: the message schema names the later row", () => {
    const result = v.safeParse(IngestMessageSchema, repeated);
    expect(result.success ? [] : toFieldProblems(result.issues)).toEqual([problem]);
    expect(v.is(IngestMessageSchema, { ...repeated, rows: rows.slice(0, 2) })).toBe(true);
  });

  it("are unique in the envelope the consumer reads: such a message is no chunk", () => {
    const result = v.safeParse(ChunkEnvelopeSchema, repeated);
    expect(result.success ? [] : toFieldProblems(result.issues)).toEqual([problem]);
    expect(readChunk(repeated)).toEqual({
      identity: { job_id: "j1", seq: 0, kind: "customers", rows: 3 },
      fields: ["rows.2.row"],
    });
  });

  it("still leave a row that fails its own schema to be rejected alone", () => {
    const read = readChunk({ ...repeated, rows: [customer, { ...customer, row: 3, age: 12 }] });
    expect("chunk" in read && read.invalid).toEqual([
      { row: 3, column: "age", reason: "must be at least 18" },
    ]);
  });
});

describe("IngestBatchSchema (one send)", () => {
  const chunkOf = (jobId: string, seq: number, customerId: number) => ({
    job_id: jobId,
    seq,
    kind: "customers",
    rows: [{ ...customer, customer_id: customerId }],
  });

  it("refuses a chunk that repeats another's job_id and seq, naming the later one's seq", () => {
    const result = v.safeParse(IngestBatchSchema, {
      messages: [chunkOf("j1", 0, 1), chunkOf("j1", 1, 2), chunkOf("j1", 0, 3)],
    });
    expect(result.success ? [] : toFieldProblems(result.issues)).toEqual([
      {
        field: "messages.2.seq",
        reason: "repeats the job_id and seq of messages.0: each chunk of a job needs its own seq",
      },
    ]);
  });

  it("takes the same seq in different jobs", () => {
    expect(v.is(IngestBatchSchema, { messages: [chunkOf("j1", 0, 1), chunkOf("j2", 0, 2)] })).toBe(
      true,
    );
  });
});
