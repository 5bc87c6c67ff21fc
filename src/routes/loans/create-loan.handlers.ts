import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { hashJson } from "../../lib/request-hash";
import { decisionEvent } from "../../telemetry";
import { IDEMPOTENT_REPLAYED_HEADER } from "../shared-content";
import { bookLoanRequest } from "./book-loan";
import type { createLoan } from "./loans.routes";

export const createLoanHandler: RouteHandler<typeof createLoan, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const key = c.req.valid("header")["idempotency-key"] ?? null;
  // "The same body" means the same parsed JSON, whatever the key order or spacing. No `operation`
  // tag as register and make-payment add: a valid create-loan body never hashes like their
  // tagged objects, and a new hash would answer keys stored before it with 422.
  const idempotency = key ? { key, requestHash: await hashJson(await c.req.json()) } : null;

  const booking = await bookLoanRequest(c.get("db"), {
    body,
    idempotency,
    asOfAt: c.get("asOfAt"),
  });

  if (booking.replayed) c.header(IDEMPOTENT_REPLAYED_HEADER, "true");
  else c.get("telemetry").recordDecision(decisionEvent("create-loan", booking.decision));
  return booking.status === 201 ? c.json(booking.result, 201) : c.json(booking.result, 200);
};
