import { inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../db/database";
import { customers, loans } from "../db/schema";
import { percentToBasisPoints, rupeesToPaise } from "../domain/money";
import { openingClosedOn } from "../domain/servicing";
import type { CustomerRow, LoanRow } from "./rows";

/*
 * Data access of ingestion. D1 allows at most 100 bound parameters per statement, so every list
 * is cut into statements that stay below it; all statements of one chunk go into one atomic
 * batch (one round trip), so a chunk lands whole or not at all.
 */

export const MAX_PARAMS = 100;
/**
 * 7 bound values per customer row, 10 per loan row (its servicing columns are written as SQL
 * literals, so a full invocation stays within D1's queries per invocation).
 */
const CUSTOMER_ROWS_PER_STATEMENT = Math.floor(MAX_PARAMS / 7);
const LOAN_ROWS_PER_STATEMENT = Math.floor(MAX_PARAMS / 10);
const IDS_PER_LOOKUP = MAX_PARAMS - 1;

export type Statement = BatchItem<"sqlite">;
export type ChunkKind = "customers" | "loans";

export function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size));
  return out;
}

/** Runs statements as one atomic batch (D1's batch is one implicit transaction). */
export async function runAtomically(db: Database, statements: Statement[]): Promise<unknown[]> {
  const [first, ...rest] = statements;
  if (!first) return [];
  return db.batch([first, ...rest]);
}

export async function readCustomersForChunk(db: Database, rows: readonly CustomerRow[]) {
  const lookups: Statement[] = [
    ...slices(
      rows.map((row) => row.customer_id),
      IDS_PER_LOOKUP,
    ).map((ids) =>
      db
        .select({ id: customers.id, phoneNumber: customers.phoneNumber })
        .from(customers)
        .where(inArray(customers.id, ids)),
    ),
    ...slices(
      rows.map((row) => row.phone_number),
      IDS_PER_LOOKUP,
    ).map((phones) =>
      db
        .select({ id: customers.id, phoneNumber: customers.phoneNumber })
        .from(customers)
        .where(inArray(customers.phoneNumber, phones)),
    ),
  ];
  const results = (await runAtomically(db, lookups)) as { id: number; phoneNumber: number }[][];
  return results.flat();
}

export async function readLoansForChunk(db: Database, rows: readonly LoanRow[]) {
  const customerIds = [...new Set(rows.map((row) => row.customer_id))];
  const loanIds = [...new Set(rows.map((row) => row.loan_id))];
  const loanColumns = {
    id: loans.id,
    customerId: loans.customerId,
    sourceLoanId: loans.sourceLoanId,
  };
  const customerLookups = slices(customerIds, IDS_PER_LOOKUP).map((ids) =>
    db.select({ id: customers.id }).from(customers).where(inArray(customers.id, ids)),
  );
  const loanLookups = slices(loanIds, Math.floor(IDS_PER_LOOKUP / 2)).flatMap((ids) => [
    db.select(loanColumns).from(loans).where(inArray(loans.id, ids)),
    db.select(loanColumns).from(loans).where(inArray(loans.sourceLoanId, ids)),
  ]);
  const results = await runAtomically(db, [...customerLookups, ...loanLookups]);
  const customerRows = results.slice(0, customerLookups.length) as { id: number }[][];
  const loanRows = results.slice(customerLookups.length) as {
    id: number;
    customerId: number;
    sourceLoanId: number | null;
  }[][];
  return {
    customerIds: new Set(customerRows.flat().map((row) => row.id)),
    loans: [...new Map(loanRows.flat().map((loan) => [loan.id, loan])).values()],
  };
}

export function upsertCustomers(db: Database, rows: readonly CustomerRow[]): Statement[] {
  return slices(rows, CUSTOMER_ROWS_PER_STATEMENT).map((slice) =>
    db
      .insert(customers)
      .values(
        slice.map((row) => ({
          id: row.customer_id,
          firstName: row.first_name,
          lastName: row.last_name,
          age: row.age,
          phoneNumber: row.phone_number,
          monthlySalaryPaise: rupeesToPaise(row.monthly_salary),
          approvedLimitPaise: rupeesToPaise(row.approved_limit),
        })),
      )
      .onConflictDoUpdate({
        target: customers.id,
        set: {
          firstName: sql`excluded.first_name`,
          lastName: sql`excluded.last_name`,
          age: sql`excluded.age`,
          monthlySalaryPaise: sql`excluded.monthly_salary_paise`,
          approvedLimitPaise: sql`excluded.approved_limit_paise`,
        },
      }),
  );
}

/**
 * Upserts on the natural key (source_loan_id, customer_id); a null id lets the database choose.
 * A loan that has taken API payments is left as it is: its ledger was built on the terms and the
 * on-time count it had, and re-ingesting must never erase or contradict those payments.
 */
export function upsertLoans(
  db: Database,
  rows: readonly { row: LoanRow; id: number | null }[],
): Statement[] {
  // One statement never mixes own ids with database-assigned ones (the plan orders them).
  const groups = [rows.filter((r) => r.id !== null), rows.filter((r) => r.id === null)];
  return groups.flatMap((group) =>
    slices(group, LOAN_ROWS_PER_STATEMENT).map((slice) =>
      db
        .insert(loans)
        .values(
          slice.map(({ row, id }) => ({
            id: id ?? undefined,
            customerId: row.customer_id,
            sourceLoanId: row.loan_id,
            loanAmountPaise: rupeesToPaise(row.loan_amount),
            tenure: row.tenure,
            interestRateBp: percentToBasisPoints(row.interest_rate),
            monthlyPaymentPaise: rupeesToPaise(row.monthly_payment),
            emisPaidOnTime: row.emis_paid_on_time,
            startDate: row.start_date,
            endDate: row.end_date,
            // Literals, not bound values (see LOAN_ROWS_PER_STATEMENT). The workbook's count is
            // emis_paid_on_time until the first API payment freezes it in its own column.
            workbookEmisPaidOnTime: sql`0`,
            apiPayments: sql`0`,
            closedOn: dateLiteral(reconstructedClosedOn(row)),
          })),
        )
        .onConflictDoUpdate({
          target: [loans.sourceLoanId, loans.customerId],
          set: {
            loanAmountPaise: sql`excluded.loan_amount_paise`,
            tenure: sql`excluded.tenure`,
            interestRateBp: sql`excluded.interest_rate_bp`,
            monthlyPaymentPaise: sql`excluded.monthly_payment_paise`,
            emisPaidOnTime: sql`excluded.emis_paid_on_time`,
            startDate: sql`excluded.start_date`,
            endDate: sql`excluded.end_date`,
            closedOn: sql`excluded.closed_on`,
          },
          setWhere: sql`${loans.apiPayments} = 0`,
        }),
    ),
  );
}

/** A workbook loan whose on-time count covers its schedule is closed on its last settled due date. */
function reconstructedClosedOn(row: LoanRow): string | null {
  const loanAmountPaise = rupeesToPaise(row.loan_amount);
  return openingClosedOn({
    loanAmountPaise,
    annualRateBp: percentToBasisPoints(row.interest_rate),
    tenure: row.tenure,
    startDate: row.start_date,
    scheduleBasis: "reconstructed",
    recordedInstalmentPaise: rupeesToPaise(row.monthly_payment),
    recordedEmisPaidOnTime: row.emis_paid_on_time,
  });
}

/** A date we computed ourselves (never client text), checked and written as an SQL literal. */
function dateLiteral(date: string | null) {
  if (date === null) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not an ISO date: ${date}`);
  return sql.raw(`'${date}'`);
}
