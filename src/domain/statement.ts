import type { SchedulePeriod } from "./amortisation";
import { monthlyDates } from "./dates";
import { loanEndDate } from "./loan-terms";
import {
  type LedgerEntry,
  type LoanStatus,
  loanStatus,
  nextInstalment,
  openSchedule,
  type ScheduleBasis,
  type ServicedLoan,
  type ServicingHistory,
} from "./servicing";

/*
 * A loan's statement as of a date: the totals and the full schedule, paid rows from the ledger and
 * open rows projected at the current EMI from the current balance.
 */

/**
 * paid: settled by a ledger entry. overdue: open and its due date is before the as-of date.
 * due: the earliest open period whose due date is on or after the as-of date (it can still be paid
 * on time). upcoming: every later open period.
 */
type ScheduleRowStatus = "paid" | "due" | "overdue" | "upcoming";

export interface StatementRow extends SchedulePeriod {
  status: ScheduleRowStatus;
}

interface StatementSummary {
  principalPaise: number;
  amountPaidPaise: number;
  principalPaidPaise: number;
  interestPaidPaise: number;
  outstandingPrincipalPaise: number;
  monthlyInstalmentPaise: number;
  /** What each open period asks for now; differs from the displayed one only on workbook loans. */
  emiPaise: number;
  repaymentsLeft: number;
  emisPaidOnTime: number;
  status: LoanStatus;
  closedOn: string | null;
  startDate: string;
  endDate: string;
  /** The due date of the period the next payment settles (even when it is overdue). */
  nextDueDate: string | null;
  scheduleBasis: ScheduleBasis;
}

export interface Statement {
  /** The date the schedule's statuses and the next due date are true of: printed, it says when. */
  asOf: string;
  summary: StatementSummary;
  payments: LedgerEntry[];
  schedule: StatementRow[];
}

export function buildStatement(
  loan: ServicedLoan,
  history: ServicingHistory,
  asOf: string,
): Statement {
  const { state, ledger } = history;
  const sum = (pick: (entry: LedgerEntry) => number) =>
    ledger.reduce((total, entry) => total + pick(entry), 0);
  const openRows = openSchedule(loan, state);
  return {
    asOf,
    summary: {
      principalPaise: loan.loanAmountPaise,
      amountPaidPaise: sum((entry) => entry.amountPaise),
      principalPaidPaise: sum((entry) => entry.principalPaise),
      interestPaidPaise: sum((entry) => entry.interestPaise),
      outstandingPrincipalPaise: state.outstandingPrincipalPaise,
      monthlyInstalmentPaise: state.monthlyInstalmentPaise,
      emiPaise: state.emiPaise,
      repaymentsLeft: openRows.length,
      emisPaidOnTime: state.emisPaidOnTime,
      status: loanStatus(state),
      closedOn: state.closedOn,
      startDate: loan.startDate,
      endDate: loanEndDate(loan.startDate, loan.tenure),
      nextDueDate: nextInstalment(loan, state)?.dueDate ?? null,
      scheduleBasis: loan.scheduleBasis,
    },
    payments: ledger,
    schedule: [...paidRows(loan, ledger), ...withOpenStatuses(openRows, asOf)],
  };
}

function paidRows(loan: ServicedLoan, ledger: readonly LedgerEntry[]): StatementRow[] {
  const dueDates = monthlyDates(loan.startDate);
  return ledger.map((entry) => paidRow(entry, dueDates(entry.period)));
}

function paidRow(entry: LedgerEntry, dueDate: string): StatementRow {
  return {
    period: entry.period,
    dueDate,
    instalmentPaise: entry.amountPaise,
    principalPaise: entry.principalPaise,
    interestPaise: entry.interestPaise,
    balanceAfterPaise: entry.balanceAfterPaise,
    status: "paid",
  };
}

function withOpenStatuses(rows: readonly SchedulePeriod[], asOf: string): StatementRow[] {
  let dueAssigned = false;
  return rows.map((row) => {
    let status: ScheduleRowStatus = "upcoming";
    if (row.dueDate < asOf) status = "overdue";
    else if (!dueAssigned) {
      status = "due";
      dueAssigned = true;
    }
    // Written out, not spread: this runs for every open row of every statement.
    return {
      period: row.period,
      dueDate: row.dueDate,
      instalmentPaise: row.instalmentPaise,
      principalPaise: row.principalPaise,
      interestPaise: row.interestPaise,
      balanceAfterPaise: row.balanceAfterPaise,
      status,
    };
  });
}
