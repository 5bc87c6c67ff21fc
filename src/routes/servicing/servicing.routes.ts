import { createRoute, z } from "@hono/zod-openapi";
import { LAST_SCHEDULE_DATE } from "../../domain/field-rules";
import { customerHasNoLoanProblem } from "../../lib/problem";
import { utf8JsonBody } from "../../lib/utf8-body";
import {
  IDEMPOTENCY_KEY_HEADERS,
  IDEMPOTENT_REPLAYED,
  jsonBody,
  jsonContent,
  notFoundContent,
  OPTIONAL_RETRY_AFTER,
  problemContent,
  problemResponses,
  problemSchema,
  type ResponseHeaders,
  rateLimitedProblemResponses,
} from "../shared-content";
import {
  amountSchema,
  idSchema,
  isoDateSchema,
  loanStatusSchema,
  moneySchema,
  monthlyInstallmentBasisSchema,
  pathIdSchema,
} from "../shared-schemas";

/** A payoff can exceed the largest loan by its interest; this bound only keeps paise exact. */
const MAX_PAYMENT_AMOUNT = 10_000_000_000;

const loanPathSchema = z.object({
  customer_id: pathIdSchema.openapi({ param: { name: "customer_id", in: "path" }, example: 7 }),
  loan_id: pathIdSchema.openapi({ param: { name: "loan_id", in: "path" }, example: 4160 }),
});

const paymentRequestSchema = z
  .object({
    amount: moneySchema(MAX_PAYMENT_AMOUNT).openapi({
      description: "Rupees, at most 2 decimals; dated the as-of date",
      example: 8884.88,
    }),
  })
  .openapi("PaymentRequest");

export const paymentResultSchema = z
  .object({
    payment_id: idSchema,
    customer_id: idSchema,
    loan_id: idSchema,
    amount: amountSchema,
    paid_on: isoDateSchema,
    period: z.number().int().openapi({ description: "The schedule period it settled" }),
    due_date: isoDateSchema.openapi({ description: "That period's due date" }),
    installment_due: amountSchema.openapi({ description: "What that period asked for" }),
    interest_paid: amountSchema,
    principal_paid: amountSchema,
    balance_after: amountSchema,
    on_time: z.boolean(),
    monthly_installment: amountSchema.openapi({ description: "The EMI after this payment" }),
    emi_recalculated: z.boolean().openapi({
      description:
        "Whether the EMI was recomputed: the amount differed from the instalment due and the loan stays open",
    }),
    repayments_left: z.number().int(),
    status: loanStatusSchema,
    closed_on: isoDateSchema.nullable(),
    next_due_date: isoDateSchema.nullable(),
  })
  .openapi("PaymentResult");

// `code` is optional: the 409 of a lost race (/problems/conflict) and the 422 of a reused
// Idempotency-Key (/problems/idempotency-key-reused) share these statuses and carry none.
const paymentProblemSchema = problemSchema
  .extend({
    code: z
      .enum([
        "AMOUNT_BELOW_INTEREST_DUE",
        "AMOUNT_EXCEEDS_PAYOFF",
        "AMOUNT_BELOW_FINAL_INSTALMENT",
        "LOAN_CLOSED",
        "LOAN_NOT_STARTED",
        "BEFORE_LAST_PAYMENT",
      ])
      .optional()
      .openapi({
        description:
          "On an amount refusal, a closed loan, one not started yet or a date before its latest payment; absent on /problems/conflict and /problems/idempotency-key-reused",
        example: "AMOUNT_EXCEEDS_PAYOFF",
      }),
    interest_due: amountSchema.optional(),
    payoff_amount: amountSchema.optional(),
    amount_due: amountSchema.optional(),
    closed_on: isoDateSchema.optional(),
    start_date: isoDateSchema.optional(),
    last_paid_on: isoDateSchema.optional(),
  })
  .openapi("PaymentProblem");

function paymentProblem(description: string, headers: ResponseHeaders = {}) {
  return problemContent(description, headers, paymentProblemSchema);
}

export const makePayment = createRoute({
  operationId: "makePayment",
  method: "post",
  path: "/make-payment/{customer_id}/{loan_id}",
  // Before the validators: a JSON body must be UTF-8 (src/lib/utf8-body.ts).
  middleware: [utf8JsonBody] as const,
  tags: ["Servicing"],
  summary: "Pay towards a loan",
  description:
    "Settles the earliest open period, interest first. An amount other than the instalment due recalculates the EMI over the remaining periods (tenure and end date unchanged). Exactly the payoff closes the loan. Honours Idempotency-Key.",
  request: {
    params: loanPathSchema,
    body: jsonBody(paymentRequestSchema),
    headers: IDEMPOTENCY_KEY_HEADERS,
  },
  responses: {
    201: jsonContent(paymentResultSchema, "The payment was recorded", IDEMPOTENT_REPLAYED),
    409: paymentProblem(
      "The loan is closed (code LOAN_CLOSED), starts after the as-of date (code LOAN_NOT_STARTED) or has a payment dated after it (code BEFORE_LAST_PAYMENT), or a concurrent payment changed it first (without an Idempotency-Key; retry; Retry-After only then: with a key the request is decided again, and after three lost races answers 503)",
      OPTIONAL_RETRY_AFTER,
    ),
    422: paymentProblem(
      "The amount is refused (code and the amount that applies in the body), or the Idempotency-Key was used with another request",
    ),
    ...rateLimitedProblemResponses,
    404: notFoundContent(
      "The customer has no such loan",
      customerHasNoLoanProblem(7, 4160),
      "/make-payment/7/4160",
    ),
  },
});

const ledgerEntrySchema = z
  .object({
    payment_id: idSchema.nullable().openapi({ description: "null for workbook periods" }),
    paid_on: isoDateSchema,
    amount: amountSchema,
    interest: amountSchema,
    principal: amountSchema,
    balance_after: amountSchema,
    period: z.number().int(),
    on_time: z.boolean(),
    source: z.enum(["api", "workbook"]),
  })
  .openapi("LedgerEntry");

const scheduleRowSchema = z
  .object({
    period: z.number().int(),
    due_date: isoDateSchema,
    installment: amountSchema,
    interest: amountSchema,
    principal: amountSchema,
    balance_after: amountSchema,
    status: z.enum(["paid", "due", "overdue", "upcoming"]),
  })
  .openapi("ScheduleRow");

const nextInstallmentSchema = z
  .object({
    period: z.number().int(),
    due_date: isoDateSchema,
    amount_due: amountSchema,
    interest_due: amountSchema,
    payoff_amount: amountSchema,
  })
  .openapi("NextInstallment");

export const statementSchema = z
  .object({
    customer_id: idSchema,
    loan_id: idSchema,
    as_of: isoDateSchema.openapi({
      description:
        "The as-of date the statement was computed on: the schedule's statuses (`due`, `overdue`, `upcoming`), `next_due_date` and `next_installment` are as they stood that day",
    }),
    principal: amountSchema.openapi({ description: "The loan amount" }),
    interest_rate: z.number().openapi({ example: 12 }),
    tenure: z.number().int(),
    amount_paid: amountSchema,
    principal_paid: amountSchema,
    interest_paid: amountSchema,
    outstanding_principal: amountSchema,
    monthly_installment: amountSchema,
    monthly_installment_basis: monthlyInstallmentBasisSchema,
    repayments_left: z.number().int(),
    emis_paid_on_time: z.number().int(),
    status: loanStatusSchema,
    closed_on: isoDateSchema.nullable(),
    start_date: isoDateSchema,
    end_date: isoDateSchema,
    next_due_date: isoDateSchema.nullable(),
    next_installment: nextInstallmentSchema.nullable(),
    schedule_basis: z.enum(["contract", "reconstructed"]),
    payments: z.array(ledgerEntrySchema),
    schedule: z.array(scheduleRowSchema),
  })
  .openapi("Statement");

// view-statement's one 409 (scheduleBeyondCalendarProblem): a plain Problem hid these fields
// from generated clients, which read only what the document declares.
const scheduleBeyondCalendarProblemSchema = problemSchema
  .extend({
    loan_id: idSchema,
    last_schedule_date: isoDateSchema.openapi({
      description: "The last date YYYY-MM-DD can write",
      example: LAST_SCHEDULE_DATE,
    }),
  })
  .openapi("ScheduleBeyondCalendarProblem");

export const viewStatement = createRoute({
  operationId: "viewStatement",
  method: "get",
  path: "/view-statement/{customer_id}/{loan_id}",
  tags: ["Servicing"],
  summary: "A loan's statement: totals, payments and the full schedule",
  request: { params: loanPathSchema },
  responses: {
    200: jsonContent(statementSchema, "The statement as of the as-of date"),
    ...problemResponses,
    404: notFoundContent(
      "The customer has no such loan",
      customerHasNoLoanProblem(7, 4160),
      "/view-statement/7/4160",
    ),
    409: problemContent(
      "A loan stored by a release before model 2026-12.9 whose schedule runs past 9999-12-31 (`schedule-beyond-calendar`, with `loan_id` and `last_schedule_date`): its due dates cannot be written; view-loan shows it",
      {},
      scheduleBeyondCalendarProblemSchema,
    ),
  },
});
