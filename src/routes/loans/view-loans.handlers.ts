import type { RouteHandler } from "@hono/zod-openapi";
import { loadBorrower, loadLoanWithCustomer } from "../../db/loans";
import type { AppEnv } from "../../http/app-env";
import { unknownCustomerProblem, unknownLoanProblem } from "../../lib/problem";
import { toLoanDetail, toLoanSummary } from "./loan-response";
import type { viewLoan, viewLoans } from "./loans.routes";

export const viewLoanHandler: RouteHandler<typeof viewLoan, AppEnv> = async (c) => {
  const { loan_id: loanId } = c.req.valid("param");

  const row = await loadLoanWithCustomer(c.get("db"), loanId);
  if (!row) throw unknownLoanProblem(loanId);

  return c.json(toLoanDetail(row.loan, row.customer, c.get("asOf")), 200);
};

export const viewLoansHandler: RouteHandler<typeof viewLoans, AppEnv> = async (c) => {
  const { customer_id: customerId } = c.req.valid("param");

  const { customer, loans } = await loadBorrower(c.get("db"), customerId);
  if (!customer) throw unknownCustomerProblem(customerId);

  return c.json(
    loans.map((loan) => toLoanSummary(loan, c.get("asOf"))),
    200,
  );
};
