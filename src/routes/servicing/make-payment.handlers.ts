import type { RouteHandler } from "@hono/zod-openapi";
import { rupeesToPaise } from "../../domain/money";
import type { AppEnv } from "../../http/app-env";
import { hashJson } from "../../lib/request-hash";
import { IDEMPOTENT_REPLAYED_HEADER } from "../shared-content";
import { makePaymentRequest } from "./make-payment";
import type { makePayment } from "./servicing.routes";

export const makePaymentHandler: RouteHandler<typeof makePayment, AppEnv> = async (c) => {
  const { customer_id: customerId, loan_id: loanId } = c.req.valid("param");
  const { amount } = c.req.valid("json");
  const key = c.req.valid("header")["idempotency-key"] ?? null;
  // The key covers the request as a whole: the same body on another loan is another request.
  const idempotency = key
    ? {
        key,
        requestHash: await hashJson({
          operation: "make-payment",
          customer_id: customerId,
          loan_id: loanId,
          body: await c.req.json(),
        }),
      }
    : null;

  const payment = await makePaymentRequest(c.get("db"), {
    customerId,
    loanId,
    amountPaise: rupeesToPaise(amount),
    idempotency,
    asOfAt: c.get("asOfAt"),
  });

  if (payment.replayed) c.header(IDEMPOTENT_REPLAYED_HEADER, "true");
  return c.json(payment.result, 201);
};
