import { createRouter } from "../../http/create-router";
import { makePaymentHandler } from "./make-payment.handlers";
import { makePayment, viewStatement } from "./servicing.routes";
import { viewStatementHandler } from "./view-statement.handlers";

export const servicingRouter = createRouter()
  .openapi(makePayment, makePaymentHandler)
  .openapi(viewStatement, viewStatementHandler);
