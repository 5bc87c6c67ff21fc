import type { LoanRecord, PaymentRecord } from "../../db/schema";
import {
  type LedgerEntry,
  openingState,
  openLoan,
  type ServicedLoan,
  type ServicingHistory,
  type ServicingState,
} from "../../domain/servicing";

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
    // The first API payment freezes the recorded count in its own column (make-payment.ts).
    recordedEmisPaidOnTime:
      loan.apiPayments === 0 ? loan.emisPaidOnTime : loan.workbookEmisPaidOnTime,
  };
}

export function servicingStateOf(loan: LoanRecord): ServicingState {
  const { outstandingPrincipalPaise, periodsSettled, emiPaise } = loan;
  if (
    loan.apiPayments === 0 ||
    outstandingPrincipalPaise === null ||
    periodsSettled === null ||
    emiPaise === null
  ) {
    return openingState(servicedLoanOf(loan));
  }
  return {
    outstandingPrincipalPaise,
    periodsSettled,
    emiPaise,
    monthlyInstalmentPaise: loan.monthlyPaymentPaise,
    emisPaidOnTime: loan.emisPaidOnTime,
    closedOn: loan.closedOn,
  };
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
