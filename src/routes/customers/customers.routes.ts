import { createRoute, z } from "@hono/zod-openapi";
import {
  amountSchema,
  idSchema,
  jsonBody,
  jsonContent,
  MAX_MONTHLY_INCOME,
  moneySchema,
  personNameSchema,
  problemContent,
  problemResponses,
} from "../shared-schemas";

export const registerRequestSchema = z
  .object({
    first_name: personNameSchema.openapi({ example: "Asha" }),
    last_name: personNameSchema.openapi({ example: "Verma" }),
    age: z
      .number({ error: "must be an integer" })
      .int("must be an integer")
      .min(18, "must be between 18 and 120")
      .max(120, "must be between 18 and 120")
      .openapi({ example: 30 }),
    monthly_income: moneySchema(MAX_MONTHLY_INCOME).openapi({ example: 50000 }),
    phone_number: z
      .number({ error: "must be an integer of 7 to 15 digits" })
      .int("must be an integer of 7 to 15 digits")
      .min(1_000_000, "must be an integer of 7 to 15 digits")
      .max(999_999_999_999_999, "must be an integer of 7 to 15 digits")
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
  method: "post",
  path: "/register",
  tags: ["Customers"],
  summary: "Register a customer",
  description:
    "Creates a customer with an approved limit of 36 × monthly income, rounded half-up to the nearest lakh.",
  request: { body: jsonBody(registerRequestSchema) },
  responses: {
    201: jsonContent(customerSchema, "The customer was registered"),
    409: problemContent("The phone number is already on file"),
    ...problemResponses,
  },
});
