import type { LoanRecord, PaymentRecord } from "../../db/schema";
import { amortiseBalance } from "../../domain/amortisation";
import { canAddMonths } from "../../domain/dates";
import { endsByLastScheduleDate, LAST_SCHEDULE_DATE } from "../../domain/field-rules";
import {
  type LedgerEntry,
  type LoanStatus,
  loanStatus,
  openingState,
  openLoan,
  type ServicedLoan,
  type ServicingHistory,
  type ServicingState,
} from "../../domain/servicing";
import { ProblemError } from "../../lib/problem";

/*
 * A stored loan as the servicing engine sees it. The loan row keeps the state after its last API
 * payment; before the first one those columns are null and the state is the opening one, derived
 * from the terms (openingState; the statement's ledger still comes from openLoan), so no loan ever
 * needs a backfill of it.
 */

export function servicedLoanOf(loan: LoanRecord): ServicedLoan {
  return {
    loanAmountPaise: loan.loanAmountPaise,
    annualRateBp: loan.interestRateBp,
    tenure: loan.tenure,
    startDate: loan.startDate,
    // Only workbook loans carry a source id; API-booked ones start at their booked EMI.
    scheduleBasis: loan.sourceLoanId === null ? "contract" : "reconstructed",
    // Read only while the loan has no API payment, when it is still the recorded instalment.
    recordedInstalmentPaise: loan.monthlyPaymentPaise,
    // The first API payment freezes the recorded count in its own column (recordPayment,
    // src/db/payments.ts).
    recordedEmisPaidOnTime:
      loan.apiPayments === 0 ? loan.emisPaidOnTime : loan.workbookEmisPaidOnTime,
  };
}

/** A stored loan's state, and its status as view-loan and view-loans show it. */
export interface LoanStanding {
  state: ServicingState;
  /**
   * loanStatus(state), except for a loan stored before model 2026-12.9 that its recorded count
   * repays on a due date past LAST_SCHEDULE_DATE: "closed", with a closedOn of null, as no
   * YYYY-MM-DD date can say when.
   */
  status: LoanStatus;
}

/**
 * A stored loan as it stands: its closedOn is its state's (view-loan's closed_on), the one answer
 * to "when was it repaid" and so to "is it current" that decisions and servicing alike read. The
 * stored closed_on column agrees for every loan booked, ingested or paid since migration 0003;
 * that migration's own backfill can differ from the state at extreme terms, and a repayment past
 * 9999-12-31 has no date at all (docs/servicing.md#loans-stored-by-older-releases).
 */
export function loanAsItStands(loan: LoanRecord): LoanRecord {
  const { closedOn } = loanStandingOf(loan).state;
  return closedOn === loan.closedOn ? loan : { ...loan, closedOn };
}

export function servicingStateOf(loan: LoanRecord): ServicingState {
  return loanStandingOf(loan).state;
}

export function loanStandingOf(loan: LoanRecord): LoanStanding {
  const { outstandingPrincipalPaise, periodsSettled, emiPaise } = loan;
  if (
    loan.apiPayments === 0 ||
    outstandingPrincipalPaise === null ||
    periodsSettled === null ||
    emiPaise === null
  ) {
    return scheduleFitsCalendar(loan)
      ? standing(openingState(servicedLoanOf(loan)))
      : openingStandingPastCalendar(servicedLoanOf(loan));
  }
  // The state a payment stored: its dates are payment dates, all written already.
  return standing({
    outstandingPrincipalPaise,
    periodsSettled,
    emiPaise,
    monthlyInstalmentPaise: loan.monthlyPaymentPaise,
    emisPaidOnTime: loan.emisPaidOnTime,
    closedOn: loan.closedOn,
  });
}

function standing(state: ServicingState): LoanStanding {
  return { state, status: loanStatus(state) };
}

/**
 * Whether every due date of the loan's schedule can be written (it ends by LAST_SCHEDULE_DATE).
 * Every loan booked or ingested since model 2026-12.9 does: ingestion refuses any other row, and
 * AS_OF_DATE, the date create-loan books on, is at most 600 months before it. A loan stored
 * earlier may not (docs/servicing.md#loans-stored-by-older-releases).
 */
export function scheduleFitsCalendar(loan: Pick<LoanRecord, "startDate" | "tenure">): boolean {
  return endsByLastScheduleDate(loan.startDate, loan.tenure);
}

/**
 * openingState of a loan whose schedule runs past LAST_SCHEDULE_DATE, which would throw where it
 * writes the due date of the period that repaid it. Its balance and periods are the same fold:
 * openingState over the periods whose due dates can be written, then amortiseBalance over the
 * rest of the recorded count. Only a repayment past the calendar has no closedOn to show.
 */
function openingStandingPastCalendar(loan: ServicedLoan): LoanStanding {
  const recorded = loan.recordedEmisPaidOnTime;
  const writable = writablePeriods(loan);
  const within = openingState({ ...loan, recordedEmisPaidOnTime: Math.min(recorded, writable) });
  const state = { ...within, emisPaidOnTime: recorded };
  if (within.closedOn !== null || recorded <= writable) return standing(state);
  const rest = amortiseBalance(
    loan,
    {
      balancePaise: within.outstandingPrincipalPaise,
      firstPeriod: within.periodsSettled + 1,
      emiPaise: within.emiPaise,
    },
    recorded - within.periodsSettled,
  );
  return {
    state: {
      ...state,
      outstandingPrincipalPaise: rest.balancePaise,
      periodsSettled: within.periodsSettled + rest.periodsSettled,
    },
    status: rest.balancePaise === 0 ? "closed" : "active",
  };
}

/** The periods whose due dates are on or before LAST_SCHEDULE_DATE. */
function writablePeriods(loan: ServicedLoan): number {
  let period = loan.tenure;
  while (period > 0 && !canAddMonths(loan.startDate, period)) period--;
  return period;
}

/**
 * The answer for what needs every due date of a loan whose schedule runs past
 * LAST_SCHEDULE_DATE (its statement): a 409 naming the loan rather than a partial schedule.
 */
export function scheduleBeyondCalendarProblem(
  loan: Pick<LoanRecord, "id" | "startDate" | "tenure">,
): ProblemError {
  return new ProblemError({
    kind: "schedule-beyond-calendar",
    detail: `Loan ${loan.id} starts on ${loan.startDate} with ${loan.tenure} monthly instalments, so its schedule runs past ${LAST_SCHEDULE_DATE}, the last date YYYY-MM-DD can write: its statement cannot be written. It was stored by a release that accepted such loans (they are refused now); GET /view-loan/${loan.id} shows its terms and state.`,
    extensions: { loan_id: loan.id, last_schedule_date: LAST_SCHEDULE_DATE },
  });
}

/** The workbook's settled periods (synthetic entries), then the stored API payments, by period. */
export function servicingHistoryOf(
  loan: LoanRecord,
  payments: readonly PaymentRecord[],
): ServicingHistory {
  const opening = openLoan(servicedLoanOf(loan));
  return {
    state: servicingStateOf(loan),
    ledger: [...opening.ledger, ...payments.map(toLedgerEntry)],
  };
}

function toLedgerEntry(payment: PaymentRecord): LedgerEntry {
  return {
    paymentId: payment.id,
    source: "api",
    period: payment.period,
    paidOn: payment.paidOn,
    amountPaise: payment.amountPaise,
    interestPaise: payment.interestPaise,
    principalPaise: payment.principalPaise,
    balanceAfterPaise: payment.balanceAfterPaise,
    onTime: payment.onTime,
  };
}
