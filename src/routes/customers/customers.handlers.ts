import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env";
import { insertCustomer } from "../../db/customers";
import { approvedLimitPaise } from "../../domain/approved-limit";
import { rupeesToPaise } from "../../domain/money";
import { ProblemError } from "../../lib/problem";
import { toCustomerResponse } from "./customer-response";
import type { register } from "./customers.routes";

export const registerHandler: RouteHandler<typeof register, AppEnv> = async (c) => {
  const body = c.req.valid("json");

  const monthlySalaryPaise = rupeesToPaise(body.monthly_income);
  const customer = await insertCustomer(c.get("db"), {
    firstName: body.first_name,
    lastName: body.last_name,
    age: body.age,
    phoneNumber: body.phone_number,
    monthlySalaryPaise,
    approvedLimitPaise: approvedLimitPaise(monthlySalaryPaise),
  });
  if (!customer) {
    throw new ProblemError({
      kind: "conflict",
      detail: "A customer with this phone number is already registered.",
      errors: [{ field: "phone_number", message: "is already on file" }],
    });
  }

  return c.json(toCustomerResponse(customer), 201);
};
