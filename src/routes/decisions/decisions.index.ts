import { createRouter } from "../../http/create-router";
import { listCustomerDecisionsHandler, viewDecisionHandler } from "./decisions.handlers";
import { listCustomerDecisions, viewDecision } from "./decisions.routes";

export const decisionsRouter = createRouter()
  .openapi(viewDecision, viewDecisionHandler)
  .openapi(listCustomerDecisions, listCustomerDecisionsHandler);
