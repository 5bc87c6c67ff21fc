import { createRouter } from "../../http/create-router";
import { createLoanHandler } from "./create-loan.handlers";
import { createLoan, viewLoan, viewLoans } from "./loans.routes";
import { viewLoanHandler, viewLoansHandler } from "./view-loans.handlers";

export const loansRouter = createRouter()
  .openapi(createLoan, createLoanHandler)
  .openapi(viewLoan, viewLoanHandler)
  .openapi(viewLoans, viewLoansHandler);
