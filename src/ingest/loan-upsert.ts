import { sql } from "drizzle-orm";
import type { Database } from "../db/database";
import { element, jsonArraysSelect } from "../db/json-rows";
import { loans, NOW_ISO } from "../db/schema";
import { percentToBasisPoints, rupeesToPaise } from "../domain/money";
import { openingState, type ServicedLoan } from "../domain/servicing";
import type { LoanRow } from "./rows";
import { type Statement, takeProposed } from "./store";

/*
 * The loan upsert of ingestion: a chunk's rows bound as one JSON text and inserted by
 * `insert … select … from json_each(?)`, one statement per chunk (two when it has rows of both
 * kinds of id). A VALUES list bound ten values a row, ten rows a statement under D1's 100
 * parameters, and drizzle wrapped and inspected every value: that was the largest cost of the
 * Node server while ingesting (docs/performance.md, "Ingest at scale").
 */

/**
 * A loan the workbook already delivered, matched on its natural key, takes the workbook's terms
 * again. One that has taken API payments is never written: its ledger was built on the terms and
 * the on-time count it had, and re-ingesting must never erase or contradict those payments. The
 * plan leaves out every row on such a loan (plan-loans.ts); one paid between the chunk's read and
 * this write makes the update abort the batch (migrations/0013) and the chunk is planned again.
 * No `WHERE api_payments = 0` here: it skipped that loan silently, and its row counted as landed.
 */
export const ON_REINGEST = {
  target: [loans.sourceLoanId, loans.customerId],
  set: takeProposed({
    loanAmountPaise: loans.loanAmountPaise,
    tenure: loans.tenure,
    interestRateBp: loans.interestRateBp,
    monthlyPaymentPaise: loans.monthlyPaymentPaise,
    emisPaidOnTime: loans.emisPaidOnTime,
    startDate: loans.startDate,
    endDate: loans.endDate,
    closedOn: loans.closedOn,
  }),
};

/**
 * Every column of a new loan from its JSON array (`loanValues`). The workbook's count is
 * emis_paid_on_time until the first API payment freezes it in its own column.
 */
const FROM_LOAN_VALUES = {
  id: element(0),
  customerId: element(1),
  sourceLoanId: element(2),
  loanAmountPaise: element(3),
  tenure: element(4),
  interestRateBp: element(5),
  monthlyPaymentPaise: element(6),
  emisPaidOnTime: element(7),
  startDate: element(8),
  endDate: element(9),
  createdAt: NOW_ISO,
  workbookEmisPaidOnTime: sql`0`,
  apiPayments: sql`0`,
  outstandingPrincipalPaise: sql`null`,
  periodsSettled: sql`null`,
  emiPaise: sql`null`,
  closedOn: element(10),
};

/** Upserts on the natural key (ON_REINGEST); a null id lets the database choose. */
export function upsertLoans(
  db: Database,
  rows: readonly { row: LoanRow; id: number | null }[],
): Statement[] {
  // One statement never mixes own ids with database-assigned ones (the plan orders them).
  const groups = [rows.filter((r) => r.id !== null), rows.filter((r) => r.id === null)];
  return groups
    .filter((group) => group.length > 0)
    .map((group) =>
      db
        .insert(loans)
        .select(jsonArraysSelect(loans, group.map(loanValues), FROM_LOAN_VALUES))
        .onConflictDoUpdate(ON_REINGEST),
    );
}

/** A row's values in the order FROM_LOAN_VALUES reads them, its terms converted once. */
function loanValues({ row, id }: { row: LoanRow; id: number | null }): unknown[] {
  const loan = workbookLoan(row);
  return [
    id,
    row.customer_id,
    row.loan_id,
    loan.loanAmountPaise,
    loan.tenure,
    loan.annualRateBp,
    loan.recordedInstalmentPaise,
    loan.recordedEmisPaidOnTime,
    loan.startDate,
    row.end_date,
    // A loan whose on-time count covers its schedule is closed on its last settled due date.
    openingState(loan).closedOn,
  ];
}

/** A workbook row as the servicing engine sees it: its schedule is reconstructed from its terms. */
function workbookLoan(row: LoanRow): ServicedLoan {
  return {
    loanAmountPaise: rupeesToPaise(row.loan_amount),
    annualRateBp: percentToBasisPoints(row.interest_rate),
    tenure: row.tenure,
    startDate: row.start_date,
    scheduleBasis: "reconstructed",
    recordedInstalmentPaise: rupeesToPaise(row.monthly_payment),
    recordedEmisPaidOnTime: row.emis_paid_on_time,
  };
}
