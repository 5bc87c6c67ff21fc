import { monthlyInstalmentPaise } from "./loan-terms";
import { paiseToRupees } from "./money";
import {
  type LedgerEntry,
  type LoanStatus,
  loanStatus,
  type NextInstalment,
  nextInstalment,
  openLoan,
  repaymentsLeftOf,
  type ServicedLoan,
  type ServicingHistory,
  type ServicingState,
} from "./servicing";

/*
 * Applying one payment to a loan: it settles the earliest open period, interest first, then
 * principal; an amount other than the instalment due recalculates the EMI over the periods left
 * (reduce-EMI: tenure and end date never move). docs/servicing.md has the rules and examples.
 */

export interface PaymentInput {
  amountPaise: number;
  /** The as-of date the payment is made on. */
  paidOn: string;
  /** The stored payment's id when replaying a ledger; carried into the ledger entry. */
  paymentId?: number | null;
}

export type PaymentRefusal =
  | { code: "LOAN_CLOSED"; message: string; closedOn: string }
  | { code: "LOAN_NOT_STARTED"; message: string; startDate: string }
  | { code: "BEFORE_LAST_PAYMENT"; message: string; lastPaidOn: string }
  | { code: "AMOUNT_BELOW_INTEREST_DUE"; message: string; interestDuePaise: number }
  | { code: "AMOUNT_EXCEEDS_PAYOFF"; message: string; payoffAmountPaise: number }
  | { code: "AMOUNT_BELOW_FINAL_INSTALMENT"; message: string; amountDuePaise: number };

/** Everything a payment response reports. */
export interface PaymentReceipt {
  period: number;
  dueDate: string;
  instalmentDuePaise: number;
  interestPaidPaise: number;
  principalPaidPaise: number;
  balanceAfterPaise: number;
  onTime: boolean;
  /** The EMI after this payment (the displayed monthly_installment from now on). */
  monthlyInstalmentPaise: number;
  /** The amount differed from the instalment due, so the EMI was recomputed (a clamp may keep it). */
  emiRecalculated: boolean;
  repaymentsLeft: number;
  status: LoanStatus;
  closedOn: string | null;
  nextDueDate: string | null;
}

export type PaymentOutcome =
  | { accepted: true; receipt: PaymentReceipt; state: ServicingState; entry: LedgerEntry }
  | { accepted: false; refusal: PaymentRefusal };

export function applyPayment(
  loan: ServicedLoan,
  state: ServicingState,
  payment: PaymentInput,
  /** The date of the loan's latest recorded payment, if any. */
  lastPaidOn: string | null = null,
): PaymentOutcome {
  // A closed loan's refusal comes first, from settle().
  const early = state.closedOn === null ? tooEarly(loan, payment.paidOn, lastPaidOn) : null;
  if (early) return { accepted: false, refusal: early };
  const settled = settle(loan, state, payment);
  if ("refusal" in settled) return { accepted: false, refusal: settled.refusal };
  const { due, entry, emiRecalculated } = settled;
  const next = settled.state;
  return {
    accepted: true,
    state: next,
    entry,
    receipt: {
      period: due.period,
      dueDate: due.dueDate,
      instalmentDuePaise: due.instalmentDuePaise,
      interestPaidPaise: entry.interestPaise,
      principalPaidPaise: entry.principalPaise,
      balanceAfterPaise: entry.balanceAfterPaise,
      onTime: entry.onTime,
      monthlyInstalmentPaise: next.monthlyInstalmentPaise,
      emiRecalculated,
      repaymentsLeft: repaymentsLeftOf(loan, next),
      status: loanStatus(next),
      closedOn: next.closedOn,
      nextDueDate: nextInstalment(loan, next)?.dueDate ?? null,
    },
  };
}

interface Settlement {
  due: NextInstalment;
  state: ServicingState;
  entry: LedgerEntry;
  emiRecalculated: boolean;
}

/**
 * A new payment's date rules; not the ledger replay's, so that ledgers stored before them (model
 * 2026-12.10) still replay.
 */
function tooEarly(
  loan: ServicedLoan,
  paidOn: string,
  lastPaidOn: string | null,
): PaymentRefusal | null {
  // Nothing is lent before the start date: a payment dated earlier would be charged a period's
  // interest, count as on time and could even close the loan before it began.
  if (paidOn < loan.startDate) {
    return {
      code: "LOAN_NOT_STARTED",
      message: `The loan starts on ${loan.startDate}: no payment can be made before then.`,
      startDate: loan.startDate,
    };
  }
  // The ledger runs forward in time: a payment dated before the latest one (the as-of date moved
  // back) would settle a later period earlier, and could close the loan before a payment it holds.
  if (lastPaidOn !== null && paidOn < lastPaidOn) {
    return {
      code: "BEFORE_LAST_PAYMENT",
      message: `The loan's latest payment is dated ${lastPaidOn}: a payment cannot be dated before it.`,
      lastPaidOn,
    };
  }
  return null;
}

/** The payment's effect on the state, without the receipt (a ledger replay needs no receipts). */
function settle(
  loan: ServicedLoan,
  state: ServicingState,
  payment: PaymentInput,
): Settlement | { refusal: PaymentRefusal } {
  if (!Number.isSafeInteger(payment.amountPaise) || payment.amountPaise <= 0) {
    throw new RangeError("amountPaise must be a positive integer");
  }
  if (state.closedOn !== null) {
    return refused({
      code: "LOAN_CLOSED",
      // A workbook loan whose recorded count reaches its tenure closes on its last due date,
      // which may lie after today: it is repaid all the same, and the message must not say when.
      message:
        state.closedOn <= payment.paidOn
          ? `The loan was repaid in full on ${state.closedOn}.`
          : `The loan is repaid in full: the lender's records count every instalment paid, the last of them due on ${state.closedOn}.`,
      closedOn: state.closedOn,
    });
  }
  const due = nextInstalment(loan, state);
  if (due === null) throw new Error("an open loan always has a next instalment");
  const amountPaise = payment.amountPaise;
  if (amountPaise < due.interestDuePaise) {
    return refused({
      code: "AMOUNT_BELOW_INTEREST_DUE",
      message: `A payment must cover at least this period's interest of ${rupees(due.interestDuePaise)}.`,
      interestDuePaise: due.interestDuePaise,
    });
  }
  if (amountPaise > due.payoffAmountPaise) {
    return refused({
      code: "AMOUNT_EXCEEDS_PAYOFF",
      message: `The payment is more than the ${rupees(due.payoffAmountPaise)} that repays the loan in full.`,
      payoffAmountPaise: due.payoffAmountPaise,
    });
  }
  // With no period left after this one, a shortfall would have nowhere to go.
  if (due.isFinalPeriod && amountPaise < due.instalmentDuePaise) {
    return refused({
      code: "AMOUNT_BELOW_FINAL_INSTALMENT",
      message: `The final instalment must be paid in full: ${rupees(due.instalmentDuePaise)}.`,
      amountDuePaise: due.instalmentDuePaise,
    });
  }

  const interestPaidPaise = due.interestDuePaise;
  const principalPaidPaise = amountPaise - interestPaidPaise;
  const balanceAfterPaise = state.outstandingPrincipalPaise - principalPaidPaise;
  const closedOn = balanceAfterPaise === 0 ? payment.paidOn : null;
  const emiRecalculated = closedOn === null && amountPaise !== due.instalmentDuePaise;
  const emiPaise = emiRecalculated
    ? recalculatedEmi(loan, state.emiPaise, balanceAfterPaise, due.period, {
        overpaid: amountPaise > due.instalmentDuePaise,
      })
    : state.emiPaise;
  const onTime = payment.paidOn <= due.dueDate && amountPaise >= due.instalmentDuePaise;

  const next: ServicingState = {
    outstandingPrincipalPaise: balanceAfterPaise,
    periodsSettled: due.period,
    emiPaise,
    monthlyInstalmentPaise: emiPaise,
    emisPaidOnTime: state.emisPaidOnTime + (onTime ? 1 : 0),
    closedOn,
  };
  const entry: LedgerEntry = {
    paymentId: payment.paymentId ?? null,
    source: "api",
    period: due.period,
    paidOn: payment.paidOn,
    amountPaise,
    interestPaise: interestPaidPaise,
    principalPaise: principalPaidPaise,
    balanceAfterPaise,
    onTime,
  };
  return { due, state: next, entry, emiRecalculated };
}

/**
 * Reduce-EMI: the new balance re-amortised over the periods left. An overpayment never raises the
 * EMI and an underpayment never lowers it (the clamps absorb a paisa of rounding either way).
 */
function recalculatedEmi(
  loan: ServicedLoan,
  emiPaise: number,
  balancePaise: number,
  settledPeriod: number,
  { overpaid }: { overpaid: boolean },
): number {
  const periodsLeft = loan.tenure - settledPeriod;
  // At least a paisa, as at booking: a balance of a few paise over many periods rounds to an EMI
  // of 0.00, whose periods asked for nothing and yet fell overdue, unpaid, until the last one.
  const fresh = Math.max(1, monthlyInstalmentPaise(balancePaise, loan.annualRateBp, periodsLeft));
  return overpaid ? Math.min(emiPaise, fresh) : Math.max(emiPaise, fresh);
}

export class LedgerReplayError extends Error {
  constructor(
    readonly index: number,
    readonly refusal: PaymentRefusal,
  ) {
    super(`payment ${index} of the ledger is refused on replay: ${refusal.code}`);
    this.name = "LedgerReplayError";
  }
}

/**
 * Folds a loan's API payments, in ledger order, over its opening state. It yields the same state as
 * applying them one by one; a stored payment that is refused on replay means the ledger and the
 * rules disagree, which is a bug, so it throws.
 */
export function replayPayments(
  loan: ServicedLoan,
  payments: readonly PaymentInput[],
): ServicingHistory {
  const opening = openLoan(loan);
  let state = opening.state;
  const ledger = [...opening.ledger];
  payments.forEach((payment, index) => {
    const settled = settle(loan, state, payment);
    if ("refusal" in settled) throw new LedgerReplayError(index, settled.refusal);
    state = settled.state;
    ledger.push(settled.entry);
  });
  return { state, ledger };
}

function refused(refusal: PaymentRefusal): { refusal: PaymentRefusal } {
  return { refusal };
}

function rupees(paise: number): string {
  return `₹${paiseToRupees(paise).toFixed(2)}`;
}
