import type { z } from "@hono/zod-openapi";
import type { InstalmentBasis } from "../../domain/instalment-basis";
import { basisPointsToPercent, paiseToRupees } from "../../domain/money";
import type { PaymentReceipt, PaymentRefusal } from "../../domain/payment";
import type { LedgerEntry, NextInstalment } from "../../domain/servicing";
import type { Statement, StatementRow } from "../../domain/statement";
import { type FieldError, ProblemError, type ProblemKind } from "../../lib/problem";
import type { paymentResultSchema, statementSchema } from "./servicing.routes";

/* Servicing's answers: the engine's paise and receipts turned into the API's rupees and names. */

export type PaymentResult = z.infer<typeof paymentResultSchema>;
export type StatementResult = z.infer<typeof statementSchema>;

const rupees = paiseToRupees;

export interface PaymentMade {
  customerId: number;
  loanId: number;
  amountPaise: number;
  paidOn: string;
  receipt: PaymentReceipt;
}

/** make-payment's answer before the write: `payment_id` is filled in once the payment has one. */
export function toPaymentResult(payment: PaymentMade): Omit<PaymentResult, "payment_id"> {
  const { receipt } = payment;
  return {
    customer_id: payment.customerId,
    loan_id: payment.loanId,
    amount: rupees(payment.amountPaise),
    paid_on: payment.paidOn,
    period: receipt.period,
    due_date: receipt.dueDate,
    installment_due: rupees(receipt.instalmentDuePaise),
    interest_paid: rupees(receipt.interestPaidPaise),
    principal_paid: rupees(receipt.principalPaidPaise),
    balance_after: rupees(receipt.balanceAfterPaise),
    on_time: receipt.onTime,
    monthly_installment: rupees(receipt.monthlyInstalmentPaise),
    emi_recalculated: receipt.emiRecalculated,
    repayments_left: receipt.repaymentsLeft,
    status: receipt.status,
    closed_on: receipt.closedOn,
    next_due_date: receipt.nextDueDate,
  };
}

/** A refused payment as a problem: the code and the amount that applies, in the body. */
export function paymentRefusalProblem(refusal: PaymentRefusal): ProblemError {
  const amountError = (): FieldError[] => [{ field: "amount", message: refusal.message }];
  const problem = (kind: ProblemKind, extensions: Record<string, unknown>, errors: FieldError[]) =>
    new ProblemError({
      kind,
      detail: refusal.message,
      errors,
      extensions: { code: refusal.code, ...extensions },
    });
  switch (refusal.code) {
    case "LOAN_CLOSED":
      return problem("loan-closed", { closed_on: refusal.closedOn }, []);
    case "LOAN_NOT_STARTED":
      return problem("loan-not-started", { start_date: refusal.startDate }, []);
    case "BEFORE_LAST_PAYMENT":
      return problem("before-last-payment", { last_paid_on: refusal.lastPaidOn }, []);
    case "AMOUNT_BELOW_INTEREST_DUE":
      return problem(
        "amount-below-interest-due",
        { interest_due: rupees(refusal.interestDuePaise) },
        amountError(),
      );
    case "AMOUNT_EXCEEDS_PAYOFF":
      return problem(
        "amount-exceeds-payoff",
        { payoff_amount: rupees(refusal.payoffAmountPaise) },
        amountError(),
      );
    case "AMOUNT_BELOW_FINAL_INSTALMENT":
      return problem(
        "amount-below-final-installment",
        { amount_due: rupees(refusal.amountDuePaise) },
        amountError(),
      );
  }
}

export interface StatementOf {
  customerId: number;
  loanId: number;
  interestRateBp: number;
  tenure: number;
  statement: Statement;
  next: NextInstalment | null;
  /** view-loan's monthly_installment_basis for the loan (instalmentBasisOf). */
  instalmentBasis: InstalmentBasis;
}

export function toStatementResult(of: StatementOf): StatementResult {
  const { asOf, summary, payments, schedule } = of.statement;
  return {
    customer_id: of.customerId,
    loan_id: of.loanId,
    as_of: asOf,
    principal: rupees(summary.principalPaise),
    interest_rate: basisPointsToPercent(of.interestRateBp),
    tenure: of.tenure,
    amount_paid: rupees(summary.amountPaidPaise),
    principal_paid: rupees(summary.principalPaidPaise),
    interest_paid: rupees(summary.interestPaidPaise),
    outstanding_principal: rupees(summary.outstandingPrincipalPaise),
    monthly_installment: rupees(summary.monthlyInstalmentPaise),
    monthly_installment_basis: of.instalmentBasis,
    repayments_left: summary.repaymentsLeft,
    emis_paid_on_time: summary.emisPaidOnTime,
    status: summary.status,
    closed_on: summary.closedOn,
    start_date: summary.startDate,
    end_date: summary.endDate,
    next_due_date: summary.nextDueDate,
    next_installment: of.next && {
      period: of.next.period,
      due_date: of.next.dueDate,
      amount_due: rupees(of.next.instalmentDuePaise),
      interest_due: rupees(of.next.interestDuePaise),
      payoff_amount: rupees(of.next.payoffAmountPaise),
    },
    schedule_basis: summary.scheduleBasis,
    payments: payments.map(toLedgerJson),
    schedule: schedule.map(toScheduleJson),
  };
}

// The row shapes below are written out, not spread from a shared helper: a statement has hundreds
// of rows, and building each by spreading cost more than the rest of its mapping.

function toLedgerJson(entry: LedgerEntry) {
  return {
    payment_id: entry.paymentId,
    paid_on: entry.paidOn,
    amount: rupees(entry.amountPaise),
    interest: rupees(entry.interestPaise),
    principal: rupees(entry.principalPaise),
    balance_after: rupees(entry.balanceAfterPaise),
    period: entry.period,
    on_time: entry.onTime,
    source: entry.source,
  };
}

/** A schedule row: its due date and instalment, then how that divides, then its status. */
function toScheduleJson(row: StatementRow) {
  return {
    period: row.period,
    due_date: row.dueDate,
    installment: rupees(row.instalmentPaise),
    interest: rupees(row.interestPaise),
    principal: rupees(row.principalPaise),
    balance_after: rupees(row.balanceAfterPaise),
    status: row.status,
  };
}
