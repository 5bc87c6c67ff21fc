import { createRoute, z } from "@hono/zod-openapi";
import { unknownCustomerProblem } from "../../lib/problem";
import { utf8JsonBody } from "../../lib/utf8-body";
import {
  bodyProblemResponses,
  jsonContent,
  notFoundContent,
  problemContent,
} from "../shared-content";
import {
  amountSchema,
  idSchema,
  isoDateSchema,
  loanRequestBody,
  reasonSchema,
} from "../shared-schemas";

const scoreComponentNameSchema = z
  .enum([
    "on_time_repayment",
    "loan_history",
    "current_year_activity",
    "approved_volume",
    "current_loans_over_limit",
  ])
  .openapi("ScoreComponentName");

export const scoreComponentSchema = z
  .object({
    component: scoreComponentNameSchema,
    points: z.number().int(),
    max_points: z.number().int(),
    detail: z.string(),
    inputs: z.record(z.string(), z.union([z.number(), z.boolean()])),
  })
  .openapi("ScoreComponent");

export const eligibilitySchema = z
  .object({
    customer_id: idSchema,
    approval: z.boolean(),
    loan_amount: amountSchema,
    interest_rate: z.number().openapi({ description: "The requested rate", example: 10 }),
    corrected_interest_rate: z
      .number()
      .openapi({ description: "The rate the loan would be booked at", example: 12 }),
    rate_floor: z
      .number()
      .nullable()
      .openapi({ description: "The score band's minimum rate, if any", example: 12 }),
    tenure: z.number().int(),
    monthly_installment: amountSchema,
    credit_score: z.number().int().min(0).max(100),
    score_breakdown: z.array(scoreComponentSchema),
    reasons: z.array(reasonSchema),
    current_loans_amount: amountSchema,
    current_loans_emi: amountSchema,
    approved_limit: amountSchema,
    monthly_income: amountSchema,
    as_of: isoDateSchema,
  })
  .openapi("Eligibility");

export const checkEligibility = createRoute({
  operationId: "checkEligibility",
  method: "post",
  path: "/check-eligibility",
  // Before the validators: a JSON body must be UTF-8 (src/lib/utf8-body.ts).
  middleware: [utf8JsonBody] as const,
  tags: ["Loans"],
  summary: "Check whether a loan can be approved",
  description:
    "Scores the customer from their loan history and applies the approval rules. Nothing is written. A refusal still returns the corrected rate and the EMI at it. A customer who already holds 5,000 loans gets create-loan's 409 instead.",
  request: { body: loanRequestBody },
  responses: {
    200: jsonContent(eligibilitySchema, "The decision, the score and its breakdown"),
    ...bodyProblemResponses,
    404: notFoundContent("Unknown customer", unknownCustomerProblem(1), "/check-eligibility"),
    409: problemContent(
      "The customer already holds 5,000 loans, the most one customer may, so no loan can be booked for them (`loan-history-too-long`, as create-loan answers)",
    ),
  },
});
