import { createRoute, z } from "@hono/zod-openapi";
import { unknownCustomerProblem, unknownLoanProblem } from "../../lib/problem";
import { utf8JsonBody } from "../../lib/utf8-body";
import {
  IDEMPOTENCY_KEY_HEADERS,
  IDEMPOTENT_REPLAYED,
  jsonContent,
  notFoundContent,
  OPTIONAL_RETRY_AFTER,
  problemContent,
  problemResponses,
  rateLimitedProblemResponses,
} from "../shared-content";
import {
  amountSchema,
  idSchema,
  isoDateSchema,
  loanRequestBody,
  loanStatusSchema,
  monthlyInstallmentBasisSchema,
  pathIdSchema,
  reasonSchema,
} from "../shared-schemas";

export const createLoanResultSchema = z
  .object({
    loan_id: idSchema.nullable().openapi({ description: "null when the loan was not approved" }),
    customer_id: idSchema,
    loan_approved: z.boolean(),
    message: z.string(),
    monthly_installment: amountSchema,
    interest_rate: z.number().openapi({
      description: "The rate booked (or that would apply), after correction",
      example: 12,
    }),
    requested_interest_rate: z.number(),
    loan_amount: amountSchema,
    tenure: z.number().int(),
    credit_score: z.number().int(),
    start_date: isoDateSchema.nullable(),
    end_date: isoDateSchema.nullable(),
    reasons: z.array(reasonSchema),
    decision_id: z.string().openapi({
      format: "uuid",
      description: "The decision's record: GET /decisions/{decision_id}",
    }),
  })
  .openapi("CreateLoanResult");

// Each status's own shape: a 201 always has the loan's id and dates, a 200 never does, so a client
// that narrows on the status reads `loan_id` as a number (it was `number | null` on both).
const bookedLoanSchema = createLoanResultSchema
  .extend({
    loan_id: idSchema,
    loan_approved: z.literal(true),
    start_date: isoDateSchema,
    end_date: isoDateSchema,
  })
  .openapi("LoanBooked");

const refusedLoanSchema = createLoanResultSchema
  .extend({
    loan_id: z.null(),
    loan_approved: z.literal(false),
    start_date: z.null(),
    end_date: z.null(),
  })
  .openapi("LoanRefused");

export const createLoan = createRoute({
  operationId: "createLoan",
  method: "post",
  path: "/create-loan",
  // Before the validators: a JSON body must be UTF-8 (src/lib/utf8-body.ts).
  middleware: [utf8JsonBody] as const,
  tags: ["Loans"],
  summary: "Book a loan if it is approved",
  description:
    "Re-runs the eligibility decision at write time and books the loan at the corrected rate, starting on the as-of date. Honours Idempotency-Key.",
  request: {
    body: loanRequestBody,
    headers: IDEMPOTENCY_KEY_HEADERS,
  },
  responses: {
    201: jsonContent(bookedLoanSchema, "The loan was approved and booked", IDEMPOTENT_REPLAYED),
    200: jsonContent(
      refusedLoanSchema,
      "The loan was not approved; `reasons` says why",
      IDEMPOTENT_REPLAYED,
    ),
    409: problemContent(
      "Concurrent bookings for this customer kept changing its position (`conflict`, without an Idempotency-Key; retry; Retry-After only then: with a key this is a 503 to send again with the key), or the customer already holds 5,000 loans, the most one customer may (`loan-history-too-long`; check-eligibility answers the same)",
      OPTIONAL_RETRY_AFTER,
    ),
    422: problemContent("The Idempotency-Key was already used with a different body"),
    ...rateLimitedProblemResponses,
    404: notFoundContent("Unknown customer", unknownCustomerProblem(1), "/create-loan"),
  },
});

const loanCustomerSchema = z
  .object({
    id: idSchema,
    first_name: z.string(),
    last_name: z.string(),
    phone_number: z.number().int(),
    age: z.number().int(),
  })
  .openapi("LoanCustomer");

const loanFields = {
  loan_id: idSchema,
  source_loan_id: z
    .number()
    .int()
    .nullable()
    .openapi({ description: "The Loan ID in the lender's workbook, if ingested" }),
  loan_amount: amountSchema,
  interest_rate: z.number().openapi({ example: 8.2 }),
  monthly_installment: amountSchema,
  monthly_installment_basis: monthlyInstallmentBasisSchema,
  tenure: z.number().int(),
  emis_paid_on_time: z.number().int(),
  repayments_left: z.number().int(),
  start_date: isoDateSchema,
  end_date: isoDateSchema,
  is_current: z.boolean(),
  status: loanStatusSchema,
  closed_on: isoDateSchema.nullable(),
};

export const loanDetailSchema = z
  .object({ ...loanFields, customer: loanCustomerSchema })
  .openapi("LoanDetail");
export const loanSummarySchema = z.object(loanFields).openapi("LoanSummary");

export const viewLoan = createRoute({
  operationId: "viewLoan",
  method: "get",
  path: "/view-loan/{loan_id}",
  tags: ["Loans"],
  summary: "View a loan and its customer",
  request: {
    params: z.object({
      loan_id: pathIdSchema.openapi({ param: { name: "loan_id", in: "path" }, example: 1003 }),
    }),
  },
  responses: {
    200: jsonContent(loanDetailSchema, "The loan"),
    ...problemResponses,
    404: notFoundContent("Unknown loan", unknownLoanProblem(1003), "/view-loan/1003"),
  },
});

export const viewLoans = createRoute({
  operationId: "viewLoans",
  method: "get",
  path: "/view-loans/{customer_id}",
  tags: ["Loans"],
  summary: "List all of a customer's loans, current and closed",
  request: {
    params: z.object({
      customer_id: pathIdSchema.openapi({
        param: { name: "customer_id", in: "path" },
        example: 20,
      }),
    }),
  },
  responses: {
    200: jsonContent(
      z.array(loanSummarySchema),
      "The loans, oldest first; [] when the customer has none",
    ),
    ...problemResponses,
    404: notFoundContent("Unknown customer", unknownCustomerProblem(7), "/view-loans/7"),
  },
});
