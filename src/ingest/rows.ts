/*
 * The row contract of workbook ingestion, shared by the Node script that reads the workbooks and the
 * Worker's queue consumer that writes them: the script validates each row before sending it, and
 * the consumer validates every message again, because a queue message is input like any other.
 * It imports only valibot and the pure domain rules, so it runs in Workers.
 *
 * Money is in rupees with at most 2 decimals (the reader rounds half-up; anything finer here means
 * a producer skipped that step). Dates are ISO `YYYY-MM-DD` strings.
 */
import * as v from "valibot";
import { isValidIsoDate } from "../domain/dates";
import {
  AGE,
  endsByLastScheduleDate,
  hasAtMostTwoDecimals,
  hasControlCharacter,
  hasPayableInstalment,
  hasUnpairedSurrogate,
  INSTALMENT_ROUNDS_TO_ZERO,
  INTEREST_RATE,
  LAST_SCHEDULE_DATE,
  MAX_LOAN_AMOUNT,
  MAX_MONTHLY_INCOME,
  MAX_RECORDED_AMOUNT,
  NAME_MAX_LENGTH,
  PHONE_NUMBER,
  TENURE_MONTHS,
} from "../domain/field-rules";

const MAX_SAFE_ID = Number.MAX_SAFE_INTEGER;

function describeReceived(issue: v.BaseIssue<unknown>): string {
  return issue.input === null || issue.input === undefined
    ? "it is empty"
    : `got ${issue.received}`;
}

function numberSchema() {
  return v.number((issue) => `must be a number, but ${describeReceived(issue)}`);
}

function integerBetween(min: number, max: number, what = "a whole number") {
  return v.pipe(
    numberSchema(),
    v.integer(`must be ${what}`),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
}

const idSchema = integerBetween(1, MAX_SAFE_ID, "a whole number (an id)");

/** Rupees (or a rate) with at most 2 decimals, within [min, max]; `exclusiveMin` refuses min itself. */
function twoDecimalNumber(min: number, max: number, exclusiveMin = false) {
  return v.pipe(
    numberSchema(),
    exclusiveMin
      ? v.gtValue(min, `must be greater than ${min}`)
      : v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
    v.check(hasAtMostTwoDecimals, "must have at most 2 decimal places"),
  );
}

/** As over HTTP: both backends store and return a name's text exactly alike. */
const nameSchema = v.pipe(
  v.string((issue) => `must be text, but ${describeReceived(issue)}`),
  v.check((name) => !hasControlCharacter(name), "must not contain control characters"),
  v.check((name) => !hasUnpairedSurrogate(name), "must not contain unpaired surrogates"),
  v.trim(),
  v.minLength(1, "must not be empty"),
  v.maxLength(NAME_MAX_LENGTH, `must be at most ${NAME_MAX_LENGTH} characters`),
);

const isoDateSchema = v.pipe(
  v.string((issue) => `must be a date (YYYY-MM-DD), but ${describeReceived(issue)}`),
  v.check(
    isValidIsoDate,
    (issue) => `must be a real calendar date as YYYY-MM-DD, got ${issue.received}`,
  ),
);

/** The 1-based worksheet row (the header is row 1), carried so every problem can point at it. */
export const worksheetRowSchema = integerBetween(1, MAX_SAFE_ID, "a worksheet row number");

export const CustomerRowSchema = v.object({
  row: worksheetRowSchema,
  customer_id: idSchema,
  first_name: nameSchema,
  last_name: nameSchema,
  age: integerBetween(AGE.min, AGE.max),
  phone_number: integerBetween(PHONE_NUMBER.min, PHONE_NUMBER.max, "a whole number of 7–15 digits"),
  monthly_salary: twoDecimalNumber(0, MAX_MONTHLY_INCOME, true),
  approved_limit: twoDecimalNumber(0, MAX_RECORDED_AMOUNT),
});
export type CustomerRow = v.InferOutput<typeof CustomerRowSchema>;

const LOAN_FIELDS = {
  row: worksheetRowSchema,
  customer_id: idSchema,
  /** The Loan ID as written in the workbook. */
  loan_id: idSchema,
  loan_amount: twoDecimalNumber(0, MAX_LOAN_AMOUNT, true),
  tenure: integerBetween(TENURE_MONTHS.min, TENURE_MONTHS.max, "a whole number of months"),
  interest_rate: twoDecimalNumber(INTEREST_RATE.min, INTEREST_RATE.max),
  monthly_payment: twoDecimalNumber(0, MAX_RECORDED_AMOUNT),
  emis_paid_on_time: integerBetween(0, MAX_SAFE_ID),
  start_date: isoDateSchema,
  end_date: isoDateSchema,
  /**
   * This row is a later occurrence of a Loan ID already used by an earlier row of the file: the
   * database assigns it a new id and keeps `loan_id` as its `source_loan_id` (docs/ingestion.md#loan-ids).
   */
  remap: v.optional(v.literal(true, "must be true when present")),
};

const loanObject = v.object(LOAN_FIELDS);
type LoanFields = v.InferOutput<typeof loanObject>;

/**
 * A rule across a loan's fields, checked once each of them is valid by itself and reported on
 * `reportOn`. valibot's partialCheck also runs past a field's own range issue (the object is still
 * typed): a rule would then compute from a tenure of 0 or a date like 2023-02-29, or add a second,
 * misleading message. Reading the issues already found costs nothing per valid row, where checking
 * the fields again cost about 1.5 µs.
 */
function acrossFields(
  fields: readonly (keyof LoanFields)[],
  requirement: (loan: LoanFields) => boolean,
  message: string,
  reportOn: keyof LoanFields,
) {
  return v.rawCheck<LoanFields>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const own = dataset.issues?.some((issue) =>
      fields.includes(issue.path?.[0]?.key as keyof LoanFields),
    );
    if (own || requirement(dataset.value)) return;
    const loan = dataset.value;
    addIssue({
      message,
      path: [
        { type: "object", origin: "value", input: loan, key: reportOn, value: loan[reportOn] },
      ],
    });
  });
}

export const LoanRowSchema = v.pipe(
  loanObject,
  acrossFields(
    ["start_date", "end_date"],
    // ISO dates compare correctly as strings.
    (loan) => loan.end_date >= loan.start_date,
    "must not be before the start date",
    "end_date",
  ),
  v.forward(
    v.partialCheck(
      [["tenure"], ["emis_paid_on_time"]],
      // More EMIs paid on time than the loan has instalments is a broken row, not a good payer.
      (loan) => loan.emis_paid_on_time <= loan.tenure,
      "must not exceed the tenure",
    ),
    ["emis_paid_on_time"],
  ),
  // The schedule is start_date plus tenure months; past LAST_SCHEDULE_DATE its dates have a
  // five-digit year. end_date itself cannot pass it: a date is read as YYYY-MM-DD.
  acrossFields(
    ["start_date", "tenure"],
    (loan) => endsByLastScheduleDate(loan.start_date, loan.tenure),
    `must leave room for the tenure: the last instalment would fall after ${LAST_SCHEDULE_DATE}`,
    "start_date",
  ),
  // The API's own rule (src/routes/shared-schemas.ts): the schedule of a workbook loan is
  // rebuilt from its terms, and an EMI of 0.00 never repays it.
  acrossFields(
    ["loan_amount", "interest_rate", "tenure"],
    hasPayableInstalment,
    INSTALMENT_ROUNDS_TO_ZERO,
    "loan_amount",
  ),
);
export type LoanRow = v.InferOutput<typeof LoanRowSchema>;

/**
 * Each field's header in the lender's workbooks: how the script names a column it misses, and how
 * a reason names a field, so the operator reads the words of the file being fixed.
 */
export const LENDER_HEADERS = {
  customer_id: "Customer ID",
  first_name: "First Name",
  last_name: "Last Name",
  age: "Age",
  phone_number: "Phone Number",
  monthly_salary: "Monthly Salary",
  approved_limit: "Approved Limit",
  loan_id: "Loan ID",
  loan_amount: "Loan Amount",
  tenure: "Tenure",
  interest_rate: "Interest Rate",
  monthly_payment: "Monthly payment",
  emis_paid_on_time: "EMIs paid on Time",
  start_date: "Date of Approval",
  end_date: "End Date",
} as const satisfies Partial<Record<keyof CustomerRow | keyof LoanRow, string>>;

/** The two kinds of rows; the queue message contract is src/ingest/messages.ts. */
export type IngestKind = "customers" | "loans";

/** A validation problem in terms a person can act on: which field, and what is wrong with it. */
export interface FieldProblem {
  /** The row field (`monthly_salary`), or `null` when the problem is not about one field. */
  field: string | null;
  reason: string;
}

/** Turns valibot issues into field problems, one per issue, in schema order. */
export function toFieldProblems(issues: readonly v.BaseIssue<unknown>[]): FieldProblem[] {
  return issues.map((issue) => ({ field: v.getDotPath(issue), reason: issue.message }));
}
