import type { z } from "@hono/zod-openapi";
import type { customerSchema } from "../../src/routes/customers/customers.routes";
import type {
  decisionPageSchema,
  decisionRecordSchema,
} from "../../src/routes/decisions/decisions.routes";
import type { eligibilitySchema } from "../../src/routes/eligibility/eligibility.routes";
import type {
  createLoanResultSchema,
  loanDetailSchema,
  loanSummarySchema,
} from "../../src/routes/loans/loans.routes";
import type {
  paymentResultSchema,
  statementSchema,
} from "../../src/routes/servicing/servicing.routes";

/* The API's response types, taken from its route contracts (type-only: nothing is bundled). */
export type Customer = z.infer<typeof customerSchema>;
export type Eligibility = z.infer<typeof eligibilitySchema>;
export type CreateLoanResult = z.infer<typeof createLoanResultSchema>;
export type LoanDetail = z.infer<typeof loanDetailSchema>;
export type LoanSummary = z.infer<typeof loanSummarySchema>;
export type DecisionRecord = z.infer<typeof decisionRecordSchema>;
export type DecisionPage = z.infer<typeof decisionPageSchema>;
export type PaymentResult = z.infer<typeof paymentResultSchema>;
export type Statement = z.infer<typeof statementSchema>;
