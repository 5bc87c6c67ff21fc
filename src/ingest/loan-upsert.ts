import { SQL, type SQLChunk, StringChunk, sql } from "drizzle-orm";
import type { Database } from "../db/database";
import { loans } from "../db/schema";
import { percentToBasisPoints, rupeesToPaise } from "../domain/money";
import { openingState } from "../domain/servicing";
import type { LoanRow } from "./rows";
import { MAX_PARAMS, type Statement, slices, takeProposed } from "./store";

/*
 * The loan upsert of ingestion, built as one flat list of SQL text and bound values. It is the
 * statement drizzle's insert builder writes (test/ingest/loan-upsert.node.test.ts holds them
 * equal), without the objects the builder wraps every value in and then inspects one by one:
 * that was the largest cost of the Node server while ingesting (docs/performance.md).
 */

/** 10 bound values per row; its other columns are SQL literals (see the row text below). */
const LOAN_ROWS_PER_STATEMENT = Math.floor(MAX_PARAMS / 10);

/**
 * Literals, not bound values, so a full consumer invocation stays within D1's queries per
 * invocation. The workbook's count is emis_paid_on_time until the first API payment freezes it
 * in its own column.
 */
const ROW_DEFAULTS = ", (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), 0, 0, null, null, null, ";

/**
 * A loan the workbook already delivered, matched on its natural key, takes the workbook's terms
 * again, unless it has taken API payments: its ledger was built on the terms and the on-time
 * count it had, and re-ingesting must never erase or contradict those payments.
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
  setWhere: sql`${loans.apiPayments} = 0`,
};

/** Upserts on the natural key (ON_REINGEST); a null id lets the database choose. */
export function upsertLoans(
  db: Database,
  rows: readonly { row: LoanRow; id: number | null }[],
): Statement[] {
  // One statement never mixes own ids with database-assigned ones (the plan orders them).
  const groups = [rows.filter((r) => r.id !== null), rows.filter((r) => r.id === null)];
  return groups.flatMap((group) =>
    slices(group, LOAN_ROWS_PER_STATEMENT).map((slice) =>
      // The builder's insert … select form, so the statement prepares and batches as any other
      // (drizzle's D1 batch cannot bind a raw db.run); the "select" is the VALUES list.
      db.insert(loans).select(valuesList(slice)).onConflictDoUpdate(ON_REINGEST),
    ),
  );
}

/** `values (…), (…)` with every column of the table, in the table's order. */
function valuesList(slice: readonly { row: LoanRow; id: number | null }[]): SQL {
  // Text and values alternate; a value is a bare primitive, which drizzle binds as it is.
  const chunks: unknown[] = [];
  let text = "values ";
  const value = (bound: number | string) => {
    chunks.push(new StringChunk(text), bound);
    text = "";
  };
  slice.forEach(({ row, id }, index) => {
    text += index === 0 ? "(" : ", (";
    if (id === null) text += "null";
    else value(id);
    text += ", ";
    value(row.customer_id);
    text += ", ";
    value(row.loan_id);
    text += ", ";
    value(rupeesToPaise(row.loan_amount));
    text += ", ";
    value(row.tenure);
    text += ", ";
    value(percentToBasisPoints(row.interest_rate));
    text += ", ";
    value(rupeesToPaise(row.monthly_payment));
    text += ", ";
    value(row.emis_paid_on_time);
    text += ", ";
    value(row.start_date);
    text += ", ";
    value(row.end_date);
    text += `${ROW_DEFAULTS}${dateLiteral(reconstructedClosedOn(row))})`;
  });
  chunks.push(new StringChunk(text));
  return new SQL(chunks as SQLChunk[]);
}

/** A workbook loan whose on-time count covers its schedule is closed on its last settled due date. */
function reconstructedClosedOn(row: LoanRow): string | null {
  return openingState({
    loanAmountPaise: rupeesToPaise(row.loan_amount),
    annualRateBp: percentToBasisPoints(row.interest_rate),
    tenure: row.tenure,
    startDate: row.start_date,
    scheduleBasis: "reconstructed",
    recordedInstalmentPaise: rupeesToPaise(row.monthly_payment),
    recordedEmisPaidOnTime: row.emis_paid_on_time,
  }).closedOn;
}

/** A date we computed ourselves (never client text), checked and written as an SQL literal. */
function dateLiteral(date: string | null): string {
  if (date === null) return "null";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not an ISO date: ${date}`);
  return `'${date}'`;
}
