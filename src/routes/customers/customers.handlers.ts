import type { RouteHandler } from "@hono/zod-openapi";
import { approvedLimitPaise } from "../../domain/approved-limit";
import { rupeesToPaise } from "../../domain/money";
import type { AppEnv } from "../../http/app-env";
import { hashJson } from "../../lib/request-hash";
import { IDEMPOTENT_REPLAYED_HEADER } from "../shared-content";
import type { register } from "./customers.routes";
import { registerRequest } from "./register-customer";

export const registerHandler: RouteHandler<typeof register, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const key = c.req.valid("header")["idempotency-key"] ?? null;
  // Keys are one namespace for every write: the operation keeps a register body from matching another's.
  const idempotency = key
    ? { key, requestHash: await hashJson({ operation: "register", body: await c.req.json() }) }
    : null;

  const monthlySalaryPaise = rupeesToPaise(body.monthly_income);
  const customer = {
    firstName: body.first_name,
    lastName: body.last_name,
    age: body.age,
    phoneNumber: body.phone_number,
    monthlySalaryPaise,
    approvedLimitPaise: approvedLimitPaise(monthlySalaryPaise),
  };

  const registration = await registerRequest(c.get("db"), { customer, idempotency });

  if (registration.replayed) c.header(IDEMPOTENT_REPLAYED_HEADER, "true");
  return c.json(registration.result, 201);
};
