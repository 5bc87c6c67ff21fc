import { callJson, registerCustomer } from "./http";
import { seedLoan } from "./seed";

/*
 * Servicing fixtures: the worked loan of docs/servicing.md (₹1,00,000 at 12 % for 12 months, EMI
 * ₹8,884.88), started so that with the as-of date pinned at 2025-06-15 its first period
 * (due 2025-06-30) can still be paid on time.
 */

export const WORKED_LOAN = {
  amount: 100_000,
  rate: 12,
  tenure: 12,
  startDate: "2025-05-31",
  endDate: "2026-05-31",
} as const;

/** A fresh customer with one API-booked loan (contract basis). */
export async function customerWithLoan(
  overrides: Partial<Parameters<typeof seedLoan>[0]> = {},
  customer: Record<string, unknown> = {},
) {
  const { customer_id } = await registerCustomer(customer);
  const loanId = await seedLoan({ customerId: customer_id, ...WORKED_LOAN, ...overrides });
  return { customerId: customer_id, loanId };
}

export function pay(
  customerId: number,
  loanId: number,
  amount: unknown,
  headers: Record<string, string> = {},
) {
  return callJson(`/make-payment/${customerId}/${loanId}`, { body: { amount }, headers });
}

export interface StatementBody {
  amount_paid: number;
  principal_paid: number;
  interest_paid: number;
  outstanding_principal: number;
  principal: number;
  monthly_installment: number;
  repayments_left: number;
  status: string;
  next_installment: { payoff_amount: number; amount_due: number } | null;
  payments: {
    payment_id: number | null;
    amount: number;
    interest: number;
    principal: number;
    source: string;
  }[];
  schedule: {
    period: number;
    installment: number;
    principal: number;
    interest: number;
    balance_after: number;
    status: string;
  }[];
  [field: string]: unknown;
}

export async function statementOf(customerId: number, loanId: number) {
  return callJson<StatementBody>(`/view-statement/${customerId}/${loanId}`);
}

/** The statement's invariants, checked in paise. */
export function paiseTotals(statement: StatementBody) {
  const paise = (rupees: number) => Math.round(rupees * 100);
  const sum = (values: number[]) => values.reduce((a, b) => a + paise(b), 0);
  return {
    schedulePrincipal: sum(statement.schedule.map((row) => row.principal)),
    rowsAddUp: statement.schedule.every(
      (row) => paise(row.installment) === paise(row.principal) + paise(row.interest),
    ),
    paymentsTotal: sum(statement.payments.map((p) => p.amount)),
    paidSplit: paise(statement.interest_paid) + paise(statement.principal_paid),
    amountPaid: paise(statement.amount_paid),
    outstanding: paise(statement.principal) - paise(statement.principal_paid),
    outstandingReported: paise(statement.outstanding_principal),
    lastBalance: paise(statement.schedule.at(-1)?.balance_after ?? -1),
  };
}
