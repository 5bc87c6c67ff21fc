import { createRoute, z } from "@hono/zod-openapi";
import { unknownCustomerProblem, unknownDecisionProblem } from "../../lib/problem";
import { scoreComponentSchema } from "../eligibility/eligibility.routes";
import { jsonContent, notFoundContent, problemResponses } from "../shared-content";
import {
  amountSchema,
  idSchema,
  isoDateSchema,
  pathIdSchema,
  reasonSchema,
} from "../shared-schemas";
import { decodeCursor } from "./cursor";

const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

const scoreFactorSchema = z
  .object({
    component: scoreComponentSchema.shape.component,
    points_lost: z.number().int(),
    description: z.string().openapi({ example: "Instalments not paid on time" }),
  })
  .openapi("ScoreFactor");

const explainedReasonSchema = reasonSchema
  .extend({
    principal_reason: z.string().openapi({
      description: "The plain-language principal reason for a refusal letter",
      example: "Excessive obligations in relation to income",
    }),
    score_factors: z.array(scoreFactorSchema).optional().openapi({
      description:
        "On CREDIT_SCORE_TOO_LOW only: the score components that cost the most points, worst first (at most four)",
    }),
  })
  .openapi("ExplainedReason");

const decisionInputLoanSchema = z
  .object({
    loan_id: idSchema,
    loan_amount: amountSchema,
    interest_rate: z.number(),
    monthly_installment: amountSchema,
    tenure: z.number().int(),
    emis_paid_on_time: z.number().int(),
    periods_settled: z.number().int().nullable().openapi({
      description:
        "Schedule periods settled by then, late or on time; the on-time score reads which instalments were paid from it. null for a loan before its first API payment (as many as emis_paid_on_time: a workbook loan's recorded count, 0 for a loan booked through the API), and in records made before model 2026-12.15",
    }),
    start_date: isoDateSchema,
    end_date: isoDateSchema,
    closed_on: isoDateSchema.nullable().openapi({
      description:
        "The day the loan was repaid in full, as view-loan shows it: a closed loan counts toward neither the approved limit nor the 50 % rule. A workbook loan whose recorded count covers its tenure closes on its last due date, which can lie after the decision. null for an open loan, for one repaid past 9999-12-31, and in records made before model 2026-12.1, which did not read it",
    }),
  })
  .openapi("DecisionInputLoan");

export const decisionRecordSchema = z
  .object({
    decision_id: z.string().openapi({ format: "uuid" }),
    customer_id: idSchema,
    loan_id: idSchema.nullable().openapi({ description: "The loan booked; null for a refusal" }),
    loan_approved: z.boolean(),
    outcome: z.enum(["approved", "refused"]),
    message: z.string(),
    monthly_installment: amountSchema,
    interest_rate: z.number().openapi({ description: "The corrected rate", example: 12 }),
    requested_interest_rate: z.number(),
    loan_amount: amountSchema,
    tenure: z.number().int(),
    credit_score: z.number().int().min(0).max(100),
    start_date: isoDateSchema.nullable(),
    end_date: isoDateSchema.nullable(),
    reasons: z.array(explainedReasonSchema),
    score_breakdown: z.array(scoreComponentSchema),
    decided_at: z.string().openapi({ format: "date-time" }),
    as_of_date: isoDateSchema,
    model_version: z.string().openapi({ description: "The scoring rules that decided it" }),
    idempotency_key: z.string().nullable(),
    inputs: z
      .object({
        monthly_salary: amountSchema,
        approved_limit: amountSchema,
        loans: z.array(decisionInputLoanSchema),
      })
      .openapi("DecisionInputs", {
        description: "What the decision read: the customer's salary, limit and loans",
      }),
  })
  .openapi("DecisionRecord");

export const decisionPageSchema = z
  .object({
    decisions: z.array(decisionRecordSchema),
    next_cursor: z.string().nullable().openapi({
      description:
        "Pass as `cursor` for the next page; null on the last page. Opaque: it carries the page's position and, on Cloudflare, its D1 bookmark",
    }),
  })
  .openapi("DecisionPage");

const decisionIdSchema = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    "must be a decision id (a lowercase UUID)",
  );

const EXAMPLE_DECISION_ID = "0b8f6c1e-3d2a-4c4f-9a51-0c6f2b7f1a10";

export const viewDecision = createRoute({
  operationId: "viewDecision",
  method: "get",
  path: "/decisions/{decision_id}",
  tags: ["Decisions"],
  summary: "View one credit decision: inputs, score, outcome and reasons",
  request: {
    params: z.object({
      decision_id: decisionIdSchema.openapi({
        param: { name: "decision_id", in: "path" },
        example: EXAMPLE_DECISION_ID,
      }),
    }),
  },
  responses: {
    200: jsonContent(decisionRecordSchema, "The decision record"),
    ...problemResponses,
    404: notFoundContent(
      "Unknown decision",
      unknownDecisionProblem(EXAMPLE_DECISION_ID),
      `/decisions/${EXAMPLE_DECISION_ID}`,
    ),
  },
});

/** A query parameter sent twice reaches the schema as an array. */
const ONCE = "must be given once";

const limitSchema = z
  .string({ error: ONCE })
  // The pattern is the whole range (1 to MAX_PAGE_SIZE, 100), so the document says what is taken.
  .regex(/^([1-9][0-9]?|100)$/, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  .transform(Number)
  .refine((limit) => limit <= MAX_PAGE_SIZE, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  .optional();

const cursorSchema = z
  .string({ error: ONCE })
  .transform((cursor, context) => {
    const decoded = decodeCursor(cursor);
    if (decoded === null) {
      context.addIssue({ code: "custom", message: "is not a cursor this API issued" });
      return z.NEVER;
    }
    return decoded;
  })
  .optional();

export const listCustomerDecisions = createRoute({
  operationId: "listCustomerDecisions",
  method: "get",
  path: "/customers/{customer_id}/decisions",
  tags: ["Decisions"],
  summary: "List a customer's credit decisions, newest first",
  request: {
    params: z.object({
      customer_id: pathIdSchema.openapi({
        param: { name: "customer_id", in: "path" },
        example: 20,
      }),
    }),
    query: z.object({
      limit: limitSchema.openapi({
        param: { name: "limit", in: "query" },
        description: `The most records a page holds (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}). A customer with hundreds of loans gets fewer a page, at least one, so that a page stays near 2 MB: follow \`next_cursor\` until it is null`,
        example: "20",
      }),
      cursor: cursorSchema.openapi({
        param: { name: "cursor", in: "query" },
        description:
          "The `next_cursor` of the previous page of this customer's decisions, passed back untouched; a cursor of another customer's, or one this API did not issue, is a 400. On Cloudflare it also carries the previous page's D1 bookmark: the page is read from a database copy at least as recent as the one that read the previous page (or as `x-d1-bookmark`, whichever is later), so pages join up without the client carrying the header. Cursors issued before bookmarks were added still work",
      }),
    }),
  },
  responses: {
    200: jsonContent(decisionPageSchema, "A page of decisions; [] for a customer without any"),
    ...problemResponses,
    404: notFoundContent("Unknown customer", unknownCustomerProblem(7), "/customers/7/decisions"),
  },
});
