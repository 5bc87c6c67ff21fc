import type { RouteHandler } from "@hono/zod-openapi";
import { loadStatement } from "../../db/payments";
import { instalmentBasisOf } from "../../domain/instalment-basis";
import { nextInstalment } from "../../domain/servicing";
import { buildStatement } from "../../domain/statement";
import type { AppEnv } from "../../http/app-env";
import { customerHasNoLoanProblem } from "../../lib/problem";
import {
  scheduleBeyondCalendarProblem,
  scheduleFitsCalendar,
  servicedLoanOf,
  servicingHistoryOf,
} from "./loan-servicing";
import type { viewStatement } from "./servicing.routes";
import { toStatementResult } from "./servicing-response";

export const viewStatementHandler: RouteHandler<typeof viewStatement, AppEnv> = async (c) => {
  const { customer_id: customerId, loan_id: loanId } = c.req.valid("param");

  const { loan, payments } = await loadStatement(c.get("db"), customerId, loanId);
  if (!loan) throw customerHasNoLoanProblem(customerId, loanId);
  // A loan stored before model 2026-12.9 may have due dates (and an end date) past 9999-12-31.
  if (!scheduleFitsCalendar(loan)) throw scheduleBeyondCalendarProblem(loan);

  const serviced = servicedLoanOf(loan);
  const history = servicingHistoryOf(loan, payments);
  const statement = buildStatement(serviced, history, c.get("asOf"));
  const result = toStatementResult({
    customerId,
    loanId,
    interestRateBp: loan.interestRateBp,
    tenure: loan.tenure,
    statement,
    next: nextInstalment(serviced, history.state),
    instalmentBasis: instalmentBasisOf(serviced.scheduleBasis, loan.apiPayments),
  });
  return c.json(result, 200);
};
