import { z } from "@hono/zod-openapi";
import {
  hasAtMostTwoDecimals,
  hasControlCharacter,
  hasPayableInstalment,
  hasUnpairedSurrogate,
  INSTALMENT_ROUNDS_TO_ZERO,
  INTEREST_RATE,
  MAX_LOAN_AMOUNT,
  NAME_MAX_LENGTH,
  TENURE_MONTHS,
} from "../domain/field-rules";
import { INSTALMENT_BASES } from "../domain/instalment-basis";
import { jsonBody } from "./shared-content";

/*
 * Field schemas shared by the route contracts. Input ranges are the contract's
 * (docs/product.md#input-ranges); the OpenAPI document is generated from these, so they are the
 * one statement of the API's types.
 */

const TWO_DECIMALS = "must have at most 2 decimal places";

export const idSchema = z
  .number({ error: "must be a positive integer" })
  .int("must be a positive integer")
  .positive("must be a positive integer")
  .max(Number.MAX_SAFE_INTEGER, "is too large");

/*
 * Rules JSON Schema cannot state (a decimal places limit that float `multipleOf` checks get wrong,
 * the safe-integer bound of a path id, a name's trimming) are said in the field's description, so
 * a client generated from the document knows why a value its own checks let through is refused.
 */

/**
 * A path id: the path's text, checked and read as a number. The document gives it as the integer
 * it is, as the bodies give ids, so that a generated client takes `loanId`, not `String(loanId)`;
 * the type replaces the string's, and its pattern with it.
 */
export const pathIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, "must be a positive integer")
  .transform(Number)
  .refine(Number.isSafeInteger, "is too large")
  .openapi({
    type: "integer",
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: `A positive integer, at most ${Number.MAX_SAFE_INTEGER}`,
  });

/** Checked before trimming: a control character anywhere is refused, not silently trimmed away. */
export const personNameSchema = z
  .string({ error: "must be a string" })
  .refine((name) => !hasControlCharacter(name), "must not contain control characters")
  .refine((name) => !hasUnpairedSurrogate(name), "must not contain unpaired surrogates")
  .trim()
  .min(1, "must not be empty")
  .max(NAME_MAX_LENGTH, `must be at most ${NAME_MAX_LENGTH} characters`)
  .openapi({
    description: `Trimmed of surrounding white space, then 1 to ${NAME_MAX_LENGTH} characters; no control characters or unpaired surrogates`,
  });

/** How every amount in rupees is described; an amount with a further rule says it after this. */
const MONEY_DESCRIPTION = "Rupees, at most 2 decimal places";

export const moneySchema = (max: number) =>
  z
    .number({ error: "must be a number" })
    .positive("must be greater than 0")
    .max(max, `must be at most ${max}`)
    .refine(hasAtMostTwoDecimals, TWO_DECIMALS)
    .openapi({ description: MONEY_DESCRIPTION });

const RATE_RANGE = `must be between ${INTEREST_RATE.min} and ${INTEREST_RATE.max}`;
const interestRateSchema = z
  .number({ error: "must be a number" })
  .min(INTEREST_RATE.min, RATE_RANGE)
  .max(INTEREST_RATE.max, RATE_RANGE)
  .refine(hasAtMostTwoDecimals, TWO_DECIMALS)
  .openapi({
    description: "Annual interest rate in percent, at most 2 decimal places",
    example: 10.5,
  });

const TENURE_RANGE = `must be between ${TENURE_MONTHS.min} and ${TENURE_MONTHS.max} months`;
const tenureSchema = z
  .number({ error: "must be an integer" })
  .int("must be an integer")
  .min(TENURE_MONTHS.min, TENURE_RANGE)
  .max(TENURE_MONTHS.max, TENURE_RANGE)
  .openapi({ description: "Tenure in months", example: 12 });

export const isoDateSchema = z.string().openapi({ format: "date", example: "2025-06-15" });

/** A response amount: rupees with at most 2 decimals. */
export const amountSchema = z.number().openapi({ example: 8884.88 });

// The refinement on loanRequestSchema below spans three fields, which JSON Schema cannot state.
const loanAmountSchema = moneySchema(MAX_LOAN_AMOUNT).openapi({
  description: `${MONEY_DESCRIPTION}; refused (400) when the monthly instalment at the requested interest_rate and tenure would round to 0.00, e.g. 0.01 over 600 months`,
});

/** The fields an instalment is computed from. */
const LOAN_TERMS: ReadonlySet<PropertyKey> = new Set(["loan_amount", "interest_rate", "tenure"]);

/**
 * Whether the body is an object whose loan terms each passed their own checks: read from the
 * issues already found, so the terms are not validated a second time.
 */
function hasValidLoanTerms(payload: {
  issues: readonly { path?: readonly PropertyKey[] | undefined }[];
}) {
  return payload.issues.every((issue) => {
    const field = issue.path?.[0];
    // An issue without a field is about the body itself: not an object.
    return field !== undefined && !LOAN_TERMS.has(field);
  });
}

const loanRequestSchema = z
  .object({
    customer_id: idSchema.openapi({ example: 1 }),
    loan_amount: loanAmountSchema.openapi({ example: 100000 }),
    interest_rate: interestRateSchema,
    tenure: tenureSchema,
  })
  // At the requested rate: a corrected rate is never lower, so neither is the EMI booked. Only
  // once every term is valid: zod runs an object's refinement after its fields' range issues,
  // and a tenure of 0 would divide by zero, an out-of-range one blame the amount.
  .refine(hasPayableInstalment, {
    path: ["loan_amount"],
    message: INSTALMENT_ROUNDS_TO_ZERO,
    when: hasValidLoanTerms,
  })
  .openapi("LoanRequest");

/** The body check-eligibility and create-loan share, as validated. */
export type LoanRequestBody = z.infer<typeof loanRequestSchema>;

export const reasonSchema = z
  .object({
    code: z.enum([
      "CURRENT_LOANS_OVER_LIMIT",
      "CREDIT_SCORE_TOO_LOW",
      "OVER_APPROVED_LIMIT",
      "EMI_OVER_HALF_SALARY",
    ]),
    message: z.string(),
  })
  .openapi("RefusalReason");

/*
 * A value set or nested object that more than one schema returns is a named schema of its own, so
 * that a generated client has one type for it (it made LoanDetailStatus, LoanSummaryStatus, ...).
 */

/** A loan's state, wherever a loan is returned. */
export const loanStatusSchema = z
  .enum(["active", "closed"])
  .openapi("LoanStatus", { description: "closed once repaid in full" });

// Named, as a generated client gets one type per value set (openapi.test.ts).
export const monthlyInstallmentBasisSchema = z
  .enum(INSTALMENT_BASES)
  .openapi("MonthlyInstallmentBasis", {
    description:
      'Which figure monthly_installment is. "workbook": the Monthly payment recorded in the ' +
      "lender's workbook, shown until the loan's first payment through the API; the instalment " +
      "due (view-statement's next_installment) is the amortisation schedule's EMI and may " +
      'differ. "schedule": the schedule\'s EMI (recalculated when a payment differs from the ' +
      "instalment due): a booked loan's from the start, a workbook loan's from its first " +
      "payment through the API.",
  });

/** The body check-eligibility and create-loan both take. */
export const loanRequestBody = jsonBody(loanRequestSchema);
