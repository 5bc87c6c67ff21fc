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
import { CATALOGUE, type ProblemError, problemBody } from "../lib/problem";

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

export const pathIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, "must be a positive integer")
  .transform(Number)
  .refine(Number.isSafeInteger, "is too large")
  .openapi({ description: `A positive integer, at most ${Number.MAX_SAFE_INTEGER}` });

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

const fieldErrorSchema = z
  .object({ field: z.string(), message: z.string() })
  .openapi("FieldError", { description: "One bad field (or header, or the body) and why" });

// Not an enum: a client generated with one would fail on a kind a later release adds.
const PROBLEM_TYPES_DESCRIPTION = `One of these, each always with its status: ${Object.entries(
  CATALOGUE,
)
  .map(([kind, { status }]) => `/problems/${kind} (${status})`)
  .join(", ")}`;

export const problemSchema = z
  .object({
    type: z.string().openapi({
      example: "/problems/validation-error",
      description: PROBLEM_TYPES_DESCRIPTION,
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    request_id: z.string(),
    errors: z.array(fieldErrorSchema),
  })
  .openapi("Problem");

/** Response headers, declared so that a generated client exposes them: it sees only these. */
export type ResponseHeaders = Record<string, z.ZodType>;

/** On every response, success and problem alike (src/lib/response-headers.ts). */
const REQUEST_ID = {
  "X-Request-Id": z.string().openapi({
    description: "This request's id (the caller's own X-Request-Id when it is safe to echo)",
  }),
} satisfies ResponseHeaders;

const RETRY_AFTER = {
  "Retry-After": z.number().int().openapi({ description: "Seconds to wait before retrying" }),
} satisfies ResponseHeaders;

/** For a status some of whose answers carry no Retry-After (each description says which). */
export const OPTIONAL_RETRY_AFTER = {
  "Retry-After": RETRY_AFTER["Retry-After"].optional(),
} satisfies ResponseHeaders;

const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1 to 255 visible ASCII characters")
  .optional()
  .openapi({
    // No example: a tool filling requests from examples would send one key for every caller, and
    // keys are one namespace per deployment, so the second caller's different body is a 422.
    description:
      "Makes retries safe: the same key with the same body returns the first response for 24 hours. Keys are one namespace per deployment: send a new UUID v4 for each request, such as 3f6c1c1e-8d0f-4d49-9a51-0c6f2b7f1a10.",
  });

/** The request headers of the three writes: register, create-loan, make-payment. */
export const IDEMPOTENCY_KEY_HEADERS = z.object({ "idempotency-key": idempotencyKeySchema });

/** Set on a write's answer replayed from its Idempotency-Key's stored response. */
export const IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed";

export const IDEMPOTENT_REPLAYED = {
  [IDEMPOTENT_REPLAYED_HEADER]: z.literal("true").optional().openapi({
    description:
      "Present when this is the stored response of an earlier request with the same Idempotency-Key",
  }),
} satisfies ResponseHeaders;

/**
 * A problem+json response of a route, for the OpenAPI document; `schema` when a route's problems
 * carry fields of their own (make-payment's refusals).
 */
export function problemContent<S extends z.ZodType = typeof problemSchema>(
  description: string,
  headers: ResponseHeaders = {},
  schema?: S,
) {
  return {
    // Typed as S, not z.ZodType: the typed client reads a problem's body type from here.
    content: { "application/problem+json": { schema: (schema ?? problemSchema) as S } },
    description,
    headers: z.object({ ...REQUEST_ID, ...headers }),
  };
}

/**
 * A route's 404 for an id it looks up, with an example of it: `problem` is built by the catalogue's
 * own function, so the example names the fields (`errors`) the route's answer names.
 */
export function notFoundContent(description: string, problem: ProblemError, instance: string) {
  const { content, ...rest } = problemContent(description);
  const example = problemBody(problem.problem, instance, "5d3a8f0e-2c1b-4e7a-9f6d-1a2b3c4d5e6f");
  return {
    ...rest,
    content: {
      "application/problem+json": { ...content["application/problem+json"], example },
    },
  };
}

/**
 * Every 503's description. A write's own answers, which carry Retry-After, come ahead of the two
 * that carry none: appended after them, they read as a third without it.
 */
function unavailableDescription(write?: { notDone: string; maybeDone: string }): string {
  return `The database is unavailable, out of storage space or damaged, or the Node server is stopping and did not start the request (service-unavailable), or the deployment is not ready: its settings do not parse or its database lacks this release's migrations (not-ready), or a create-loan or make-payment with an Idempotency-Key lost the write race to concurrent requests three times running (service-unavailable; not done by this request: send it again with the same key)${write?.notDone ?? ""}; retry after Retry-After.${write?.maybeDone ?? ""} Two 503s carry no Retry-After, as no retry helps (both service-unavailable): the database is damaged (a part of it this request needs cannot be read, or its file no longer reads as a database: an operator must restore it from a backup), or it has no id left below 2^53 for a new row (an operator must renumber the ingested ids)`;
}

/** A write's own 503s: its rate limiter failed (not done), or its commit went unconfirmed (maybe done). */
const WRITE_UNAVAILABLE = {
  notDone:
    ", or the write rate limiter is unavailable (service-unavailable, `errors` names WRITE_RATE_LIMITER): the write was not done",
  maybeDone:
    " One may have been done (service-unavailable, with Retry-After): the database did not confirm this write, its connection lost, reset or timed out after it was sent, so it may or may not have been done. Send it again with the same Idempotency-Key for its answer; without one, check whether it was done before sending it again.",
};

/**
 * Error responses, spread into every route so the document lists them once per status. Not `as
 * const`: spreading a readonly object turns its numeric keys into strings ("404"), which the typed
 * client does not take for statuses, so it left every one of these out of its response types.
 * A GET's: the body's 413 and 415 are bodyProblemResponses', as the checks skip a GET's body.
 */
export const problemResponses = {
  400: problemContent(
    "Invalid request: malformed JSON, wrong types, missing fields or values out of range",
  ),
  401: problemContent("Missing or unknown API key (when API keys are on)", {
    "WWW-Authenticate": z.string().openapi({ description: "The scheme to use: Bearer" }),
  }),
  // Each route that looks something up overrides it with what: one text for all named a customer
  // and a loan where a route reads one or neither.
  404: problemContent("Not found"),
  405: problemContent("Method not allowed (see the Allow header)", {
    Allow: z.string().openapi({ description: "The methods this path answers" }),
  }),
  408: problemContent(
    "Node server only: the request did not arrive whole within 60 s (request-timeout; `errors` names `body` when its headers did); the connection is closed",
  ),
  417: problemContent(
    "Node server only: an `Expect` header other than 100-continue (expectation-failed); the connection is closed",
  ),
  431: problemContent(
    "Node server only: the request's headers are over 16 KB (headers-too-large); the connection is closed",
  ),
  500: problemContent("Unexpected error (no internals are disclosed)"),
  503: problemContent(unavailableDescription(), OPTIONAL_RETRY_AFTER),
};

/** A request with a JSON body (check-eligibility and the writes) may also be refused for the body. */
export const bodyProblemResponses = {
  ...problemResponses,
  413: problemContent("Request body over 64 KB"),
  415: problemContent(
    "Request body is not JSON, or is sent with a Content-Encoding other than identity",
    {
      "Accept-Encoding": z.literal("identity").optional().openapi({
        description:
          "On a Content-Encoding refusal only: the one coding the server takes (send the body uncompressed)",
      }),
    },
  ),
};

/** The writes under the rate limit (register, create-loan, make-payment) also answer 429. */
export const rateLimitedProblemResponses = {
  ...bodyProblemResponses,
  429: problemContent("Too many writes from this client; see Retry-After", RETRY_AFTER),
  503: problemContent(unavailableDescription(WRITE_UNAVAILABLE), OPTIONAL_RETRY_AFTER),
};

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true } as const;
}

export function jsonContent<T extends z.ZodType>(
  schema: T,
  description: string,
  headers: ResponseHeaders = {},
) {
  return {
    content: { "application/json": { schema } },
    description,
    headers: z.object({ ...REQUEST_ID, ...headers }),
  };
}

/** The body check-eligibility and create-loan both take. */
export const loanRequestBody = jsonBody(loanRequestSchema);
