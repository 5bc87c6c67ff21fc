import type { RouteHandler } from "@hono/zod-openapi";
import { loadBorrowerToDecide } from "../../db/loans";
import { assessLoanRequest } from "../../domain/assessment";
import type { AppEnv } from "../../http/app-env";
import { unknownCustomerProblem } from "../../lib/problem";
import { decisionEvent } from "../../telemetry";
import { loansToDecideOn, toLoanRequest } from "../loan-request";
import { loanAsItStands } from "../servicing/loan-servicing";
import { toAssessmentResponse } from "./assessment-response";
import type { checkEligibility } from "./eligibility.routes";

export const checkEligibilityHandler: RouteHandler<typeof checkEligibility, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const request = toLoanRequest(body);

  const borrower = await loadBorrowerToDecide(c.get("db"), body.customer_id);
  const { customer } = borrower;
  if (!customer) throw unknownCustomerProblem(body.customer_id);
  // A customer at the bound on their loans gets create-loan's 409: no loan can be booked for them.
  const loans = loansToDecideOn({ ...borrower, customer });

  // Each loan as it stands, as view-loan shows it and create-loan decides on it.
  const assessment = assessLoanRequest(customer, loans.map(loanAsItStands), request, c.get("asOf"));

  c.get("telemetry").recordDecision(decisionEvent("check-eligibility", assessment.decision));

  return c.json(toAssessmentResponse(body, assessment, c.get("asOf")), 200);
};
