import { createRoute, z } from "@hono/zod-openapi";
import { AGE, MAX_MONTHLY_INCOME, PHONE_NUMBER } from "../../domain/field-rules";
import { utf8JsonBody } from "../../lib/utf8-body";
import {
  IDEMPOTENCY_KEY_HEADERS,
  IDEMPOTENT_REPLAYED,
  jsonBody,
  jsonContent,
  OPTIONAL_RETRY_AFTER,
  problemContent,
  rateLimitedProblemResponses,
} from "../shared-content";
import { amountSchema, idSchema, moneySchema, personNameSchema } from "../shared-schemas";

const AGE_RANGE = `must be between ${AGE.min} and ${AGE.max}`;
const PHONE_DIGITS = "must be an integer of 7 to 15 digits";

const registerRequestSchema = z
  .object({
    first_name: personNameSchema.openapi({ example: "Asha" }),
    last_name: personNameSchema.openapi({ example: "Verma" }),
    age: z
      .number({ error: "must be an integer" })
      .int("must be an integer")
      .min(AGE.min, AGE_RANGE)
      .max(AGE.max, AGE_RANGE)
      .openapi({ example: 30 }),
    monthly_income: moneySchema(MAX_MONTHLY_INCOME).openapi({ example: 50000 }),
    phone_number: z
      .number({ error: PHONE_DIGITS })
      .int(PHONE_DIGITS)
      .min(PHONE_NUMBER.min, PHONE_DIGITS)
      .max(PHONE_NUMBER.max, PHONE_DIGITS)
      .openapi({ example: 9876543210 }),
  })
  .openapi("RegisterRequest");

export const customerSchema = z
  .object({
    customer_id: idSchema,
    name: z.string().openapi({ example: "Asha Verma" }),
    first_name: z.string(),
    last_name: z.string(),
    age: z.number().int(),
    monthly_income: amountSchema.openapi({ example: 50000 }),
    approved_limit: amountSchema.openapi({ example: 1800000 }),
    phone_number: z.number().int(),
  })
  .openapi("Customer");

export const register = createRoute({
  operationId: "register",
  method: "post",
  path: "/register",
  // Before the validators: a JSON body must be UTF-8 (src/lib/utf8-body.ts).
  middleware: [utf8JsonBody] as const,
  tags: ["Customers"],
  summary: "Register a customer",
  description:
    "Creates a customer with an approved limit of 36 × monthly income, rounded half-up to the nearest lakh. Honours Idempotency-Key.",
  request: {
    body: jsonBody(registerRequestSchema),
    headers: IDEMPOTENCY_KEY_HEADERS,
  },
  responses: {
    201: jsonContent(customerSchema, "The customer was registered", IDEMPOTENT_REPLAYED),
    409: problemContent(
      "The phone number is already on file, or the Idempotency-Key was in use a moment ago and has just expired (retry; Retry-After only then)",
      OPTIONAL_RETRY_AFTER,
    ),
    422: problemContent("The Idempotency-Key was already used with a different body"),
    ...rateLimitedProblemResponses,
  },
});
