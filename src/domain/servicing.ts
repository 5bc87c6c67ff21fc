import {
  amortisationSchedule,
  amortiseBalance,
  assertLoanTerms,
  instalmentDuePaise,
  type LoanTerms,
  periodDueDate,
  periodInterestPaise,
  periodsToRepay,
  projectSchedule,
  type SchedulePeriod,
  scheduleStart,
} from "./amortisation";
import { isCurrentLoan, monthlyInstalmentPaise } from "./loan-terms";

/*
 * The state of a loan under servicing and where it starts. A loan's state is a fold of its payments
 * over its terms: openLoan gives the state before any API payment, applyPayment (payment.ts) moves
 * it one payment on. docs/servicing.md explains the model.
 */

/** "contract": booked through the API at its EMI. "reconstructed": a workbook loan (see openLoan). */
export type ScheduleBasis = "contract" | "reconstructed";

export type LoanStatus = "active" | "closed";

export interface ServicedLoan extends LoanTerms {
  scheduleBasis: ScheduleBasis;
  /** The monthly_installment recorded when the loan was booked or ingested. */
  recordedInstalmentPaise: number;
  /** The EMIs counted as paid on time when the loan was booked (0) or ingested (the workbook's). */
  recordedEmisPaidOnTime: number;
}

/** Everything storage keeps on the loan row; it is a pure function of the terms and the ledger. */
export interface ServicingState {
  outstandingPrincipalPaise: number;
  /** Periods 1..periodsSettled are paid; the next payment settles period periodsSettled + 1. */
  periodsSettled: number;
  /** The current EMI: what each open period asks for (capped at the payoff, see amortisation.ts). */
  emiPaise: number;
  /** The loan's displayed monthly_installment: the recorded one until the first API payment. */
  monthlyInstalmentPaise: number;
  emisPaidOnTime: number;
  closedOn: string | null;
}

export interface LedgerEntry {
  /** The stored payment's id; null for the synthetic entries of a workbook loan. */
  paymentId: number | null;
  source: "api" | "workbook";
  period: number;
  paidOn: string;
  amountPaise: number;
  interestPaise: number;
  principalPaise: number;
  balanceAfterPaise: number;
  onTime: boolean;
}

/** A loan's state with the ledger that produced it. */
export interface ServicingHistory {
  state: ServicingState;
  ledger: LedgerEntry[];
}

/** The period the next payment settles, and what it can be. Null once the loan is closed. */
export interface NextInstalment {
  period: number;
  dueDate: string;
  interestDuePaise: number;
  instalmentDuePaise: number;
  payoffAmountPaise: number;
  isFinalPeriod: boolean;
}

/**
 * The loan before any API payment. An API-booked loan starts at its booked EMI with nothing paid.
 * A workbook loan is reconstructed by standard amortisation of its terms, with its first
 * `emis_paid_on_time` periods (at most the tenure) settled by synthetic ledger entries: each paid
 * in full on its due date. Its recorded monthly payment stays displayed; the EMI due is the
 * schedule's.
 */
export function openLoan(loan: ServicedLoan): ServicingHistory {
  assertLoanTerms(loan);
  const emiPaise = openingEmiPaise(loan);
  const settledRows = amortisationSchedule(loan, emiPaise, workbookSettledPeriods(loan));
  const ledger: LedgerEntry[] = settledRows.map((row) => ({
    paymentId: null,
    source: "workbook",
    period: row.period,
    paidOn: row.dueDate,
    amountPaise: row.instalmentPaise,
    interestPaise: row.interestPaise,
    principalPaise: row.principalPaise,
    balanceAfterPaise: row.balanceAfterPaise,
    onTime: true,
  }));
  const last = ledger.at(-1);
  const outstandingPrincipalPaise = last ? last.balanceAfterPaise : loan.loanAmountPaise;
  return {
    state: {
      outstandingPrincipalPaise,
      periodsSettled: ledger.length,
      emiPaise,
      monthlyInstalmentPaise: loan.recordedInstalmentPaise,
      emisPaidOnTime: loan.recordedEmisPaidOnTime,
      closedOn: outstandingPrincipalPaise === 0 && last ? last.paidOn : null,
    },
    ledger,
  };
}

/**
 * openLoan's state alone, without building the ledger or the dates of its settled periods: what
 * every read of a loan without API payments needs (view-loans lists each one).
 */
export function openingState(loan: ServicedLoan): ServicingState {
  assertLoanTerms(loan);
  const emiPaise = openingEmiPaise(loan);
  const { balancePaise, periodsSettled } = amortiseBalance(
    loan,
    scheduleStart(loan, emiPaise),
    workbookSettledPeriods(loan),
  );
  return {
    outstandingPrincipalPaise: balancePaise,
    periodsSettled,
    emiPaise,
    monthlyInstalmentPaise: loan.recordedInstalmentPaise,
    emisPaidOnTime: loan.recordedEmisPaidOnTime,
    // Repaid by its last settled period, paid in full on its due date.
    closedOn:
      balancePaise === 0 && periodsSettled > 0
        ? periodDueDate(loan.startDate, periodsSettled)
        : null,
  };
}

function openingEmiPaise(loan: ServicedLoan): number {
  return loan.scheduleBasis === "contract"
    ? loan.recordedInstalmentPaise
    : monthlyInstalmentPaise(loan.loanAmountPaise, loan.annualRateBp, loan.tenure);
}

/** The periods a loan's record counts as settled on time: openLoan and openingState settle these. */
function workbookSettledPeriods(loan: ServicedLoan): number {
  return Math.max(0, loan.recordedEmisPaidOnTime);
}

export function loanStatus(state: ServicingState): LoanStatus {
  return state.closedOn === null ? "active" : "closed";
}

export function nextInstalment(loan: LoanTerms, state: ServicingState): NextInstalment | null {
  if (state.closedOn !== null) return null;
  const period = state.periodsSettled + 1;
  const isFinalPeriod = period === loan.tenure;
  const balancePaise = state.outstandingPrincipalPaise;
  const interestDuePaise = periodInterestPaise(balancePaise, loan.annualRateBp);
  return {
    period,
    dueDate: periodDueDate(loan.startDate, period),
    interestDuePaise,
    instalmentDuePaise: instalmentDuePaise(
      balancePaise,
      interestDuePaise,
      state.emiPaise,
      isFinalPeriod,
    ),
    payoffAmountPaise: balancePaise + interestDuePaise,
    isFinalPeriod,
  };
}

/** The open periods, projected at the current EMI from the current balance. */
export function openSchedule(loan: LoanTerms, state: ServicingState): SchedulePeriod[] {
  return state.closedOn === null ? projectSchedule(loan, projectionStart(state)) : [];
}

/** repayments_left: the open periods (the rows openSchedule gives); 0 once closed. */
export function repaymentsLeftOf(loan: LoanTerms, state: ServicingState): number {
  return state.closedOn === null ? periodsToRepay(loan, projectionStart(state)) : 0;
}

function projectionStart(state: ServicingState) {
  return {
    balancePaise: state.outstandingPrincipalPaise,
    firstPeriod: state.periodsSettled + 1,
    emiPaise: state.emiPaise,
  };
}

/**
 * A current loan under servicing: within its start and end dates and not closed, whatever its
 * closedOn. A workbook loan whose count reaches its tenure is repaid, yet its closedOn is its
 * last due date, which may lie after the as-of date: it counted as current while view-loan showed
 * it closed (2026-12.19).
 */
export function isCurrentServicedLoan(
  loan: { startDate: string; endDate: string; closedOn: string | null },
  asOf: string,
): boolean {
  return isCurrentLoan(loan, asOf) && loan.closedOn === null;
}
