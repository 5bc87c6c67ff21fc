import { asc, eq, type Placeholder, type SQL, sql } from "drizzle-orm";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../lib/loan-bound";
import type { Database } from "./database";
import { jsonRows } from "./json-rows";
import { batchableOnce, type Placeholders, preparedOnce } from "./prepared";
import { type CustomerRecord, customers, type LoanRecord, loans, NOW_ISO } from "./schema";

export function selectLoansOfCustomer(db: Database, customerId: number) {
  return db
    .select()
    .from(loans)
    .where(eq(loans.customerId, customerId))
    .orderBy(asc(loans.startDate), asc(loans.id));
}

/** Loans packed as JSON arrays (src/db/json-rows.ts). */
export const loanRows = jsonRows(loans);

/**
 * The most loans packed into one JSON value. D1 refuses any string SQLite builds past about 2 MB
 * (SQLITE_TOOBIG), a JSON aggregate included; a loan packs into at most about 210 bytes, so
 * 5,000 stay near 1 MB, half the cap. libSQL has no such cap, but every runtime takes the same path.
 */
export const PACKED_LOANS_AT_MOST = 5_000;

/** How many loans the customer holds (`customerIdColumn`: the customer's id in the outer query). */
function loanCountOf(customerIdColumn: SQL) {
  return sql<number>`(SELECT count(*) FROM ${loans} AS n WHERE n.customer_id = ${customerIdColumn})`;
}

/** The customer's loans as one JSON value when they hold at most `packedAtMost`, else NULL. */
function packedLoansOf(customerIdColumn: SQL, packedAtMost: number) {
  return sql<
    string | null
  >`CASE WHEN ${loanCountOf(customerIdColumn)} <= ${sql.raw(String(packedAtMost))} THEN (SELECT json_group_array(${loanRows.array("l")}) FROM ${loans} AS l WHERE l.customer_id = ${customerIdColumn}) END`;
}

const customerIdColumn = sql`${customers}.${sql.identifier(customers.id.name)}`;

/**
 * A customer with all their loans: one row, the loans as one JSON value (src/db/json-rows.ts), or
 * NULL when they have more than PACKED_LOANS_AT_MOST (read them as rows then).
 */
export function selectBorrower(db: Database, customerId: number | Placeholder<"customerId">) {
  return db
    .select({
      customer: customers,
      loans: packedLoansOf(customerIdColumn, PACKED_LOANS_AT_MOST),
    })
    .from(customers)
    .where(eq(customers.id, customerId));
}

/**
 * A customer to decide on: how many loans they hold and, below LOANS_PER_CUSTOMER_AT_MOST, the
 * loans as one JSON value. At the bound or past it the loans are not read (NULL): the decision is
 * refused on the count alone.
 */
export function selectBorrowerToDecide(
  db: Database,
  customerId: number | Placeholder<"customerId">,
) {
  return db
    .select({
      customer: customers,
      loanCount: loanCountOf(customerIdColumn).mapWith(Number),
      loans: packedLoansOf(customerIdColumn, LOANS_PER_CUSTOMER_AT_MOST - 1),
    })
    .from(customers)
    .where(eq(customers.id, customerId));
}

type BorrowerToDecideRow = Awaited<ReturnType<typeof selectBorrowerToDecide>>[number];

/**
 * A borrower to decide on: no customer; a customer at or past the bound, their loans counted but
 * not read (`loans` null); or a customer with every loan, oldest first.
 */
export type BorrowerToDecide =
  | { customer: null; loanCount: 0; loans: [] }
  | { customer: CustomerRecord; loanCount: number; loans: LoanRecord[] | null };

/** The borrower of selectBorrowerToDecide's row (undefined: no such customer). */
export function toBorrowerToDecide(row: BorrowerToDecideRow | undefined): BorrowerToDecide {
  if (row === undefined) return { customer: null, loanCount: 0, loans: [] };
  const loans = row.loans === null ? null : loanRows.decodeAll(row.loans).sort(byStartThenId);
  return { customer: row.customer, loanCount: row.loanCount, loans };
}

/** check-eligibility's and create-loan's (without a key) one statement, prepared once. */
const preparedBorrowerToDecide = preparedOnce((db, value: Placeholders<"customerId">) =>
  selectBorrowerToDecide(db, value("customerId")),
);

/** The same statement for create-loan's read batch with an Idempotency-Key, built once. */
export function borrowerToDecide(db: Database, customerId: number) {
  return batchableBorrowerToDecide(db, { customerId });
}

const batchableBorrowerToDecide = batchableOnce((db, value: Placeholders<"customerId">) =>
  selectBorrowerToDecide(db, value("customerId")),
);

/** A customer to decide on, in one statement: see selectBorrowerToDecide. */
export async function loadBorrowerToDecide(
  db: Database,
  customerId: number,
): Promise<BorrowerToDecide> {
  return toBorrowerToDecide(await preparedBorrowerToDecide(db).get({ customerId }));
}

/** Oldest first, then by id: the order of selectLoansOfCustomer. */
function byStartThenId(a: LoanRecord, b: LoanRecord): number {
  if (a.startDate !== b.startDate) return a.startDate < b.startDate ? -1 : 1;
  return a.id - b.id;
}

/** view-loans' one statement (a prepared query cannot join a batch). */
const preparedBorrower = preparedOnce((db, value: Placeholders<"customerId">) =>
  selectBorrower(db, value("customerId")),
);

/**
 * A customer and all their loans, in one statement (two past PACKED_LOANS_AT_MOST loans). `get`,
 * not `all`: one row at most, and the Node driver then steps the statement once instead of
 * opening a row iterator (~9 µs less).
 */
export async function loadBorrower(db: Database, customerId: number) {
  const row = await preparedBorrower(db).get({ customerId });
  if (row === undefined) return { customer: null, loans: [] };
  if (row.loans === null) {
    return { customer: row.customer, loans: await selectLoansOfCustomer(db, customerId) };
  }
  return { customer: row.customer, loans: loanRows.decodeAll(row.loans).sort(byStartThenId) };
}

export function selectLoanWithCustomer(db: Database, loanId: number | Placeholder<"loanId">) {
  return db
    .select({ loan: loans, customer: customers })
    .from(loans)
    .innerJoin(customers, eq(customers.id, loans.customerId))
    .where(eq(loans.id, loanId))
    .limit(1);
}

/** view-loan's one statement. */
const preparedLoanWithCustomer = preparedOnce((db, value: Placeholders<"loanId">) =>
  selectLoanWithCustomer(db, value("loanId")),
);

/** One loan with its customer, in one statement. */
export async function loadLoanWithCustomer(db: Database, loanId: number) {
  const row = await preparedLoanWithCustomer(db).get({ loanId });
  return row ?? null;
}

export interface LoanToBook {
  customerId: number;
  loanAmountPaise: number;
  tenure: number;
  interestRateBp: number;
  monthlyPaymentPaise: number;
  startDate: string;
  endDate: string;
}

/** A statement's values, each one either given or a placeholder filled in later. */
type ValuesOrPlaceholders<Values> = { [Key in keyof Values]: Values[Key] | Placeholder<string> };

/**
 * Inserts the loan only if, at the moment of writing, the customer holds fewer than
 * LOANS_PER_CUSTOMER_AT_MOST loans, and their current loans plus this one stay within the approved
 * limit and their EMIs within half the salary. The guard lives in the statement itself, so two
 * concurrent bookings can never together break any of the three: the database applies writes one
 * at a time and the second sees the first. Returns the new id, or nothing when the guard refused.
 */
export function insertLoanIfAffordable(
  db: Database,
  loan: LoanToBook,
  /**
   * Loans the decision found repaid (isCurrentServicedLoan) though their stored closed_on says not:
   * ones migration 0003 closed in SQL, whose state (view-loan's closed_on, loanAsItStands in
   * src/routes/servicing/loan-servicing.ts) repaid them earlier. The guard counts them as the
   * decision did; empty for every loan stored since (docs/servicing.md#loans-stored-by-older-releases).
   */
  repaidByState: readonly number[] = [],
) {
  // Only for a customer with such a loan: everyone else's statement is built once.
  return repaidByState.length > 0
    ? guardedLoanInsert(db, loan, repaidByState)
    : batchableGuardedLoanInsert(db, { ...loan });
}

function guardedLoanInsert(
  db: Database,
  loan: ValuesOrPlaceholders<LoanToBook>,
  repaidByState: readonly number[],
) {
  const asOf = loan.startDate;
  // Current: within its dates and not repaid (a closed loan frees its room, whatever its
  // closed_on: isCurrentServicedLoan).
  let notRepaid = sql`l.closed_on IS NULL`;
  if (repaidByState.length > 0) {
    notRepaid = sql`(${notRepaid} AND l.id NOT IN (SELECT value FROM json_each(${JSON.stringify(repaidByState)})))`;
  }
  const currentLoans = sql`FROM ${loans} AS l WHERE l.customer_id = c.id AND l.start_date <= ${asOf} AND l.end_date >= ${asOf} AND ${notRepaid}`;
  // insert…select with raw SQL lists every column in schema order (id NULL: the database assigns
  // it); a query builder, unlike db.run(sql), can join a D1 batch.
  return db
    .insert(loans)
    .select(sql`
      SELECT NULL, c.id, NULL, ${loan.loanAmountPaise}, ${loan.tenure}, ${loan.interestRateBp},
             ${loan.monthlyPaymentPaise}, 0, ${loan.startDate}, ${loan.endDate}, ${NOW_ISO},
             0, 0, NULL, NULL, NULL, NULL
      FROM ${customers} AS c
      WHERE c.id = ${loan.customerId}
        AND (SELECT COALESCE(SUM(l.loan_amount_paise), 0) ${currentLoans}) + ${loan.loanAmountPaise} <= c.approved_limit_paise
        AND 2 * ((SELECT COALESCE(SUM(l.monthly_payment_paise), 0) ${currentLoans}) + ${loan.monthlyPaymentPaise}) <= c.monthly_salary_paise
        AND NOT EXISTS (SELECT 1 FROM ${loans} AS b WHERE b.customer_id = c.id LIMIT 1 OFFSET ${sql.raw(String(LOANS_PER_CUSTOMER_AT_MOST - 1))})`)
    .returning({ id: loans.id });
}

const batchableGuardedLoanInsert = batchableOnce((db, value: Placeholders<keyof LoanToBook>) =>
  guardedLoanInsert(
    db,
    {
      customerId: value("customerId"),
      loanAmountPaise: value("loanAmountPaise"),
      tenure: value("tenure"),
      interestRateBp: value("interestRateBp"),
      monthlyPaymentPaise: value("monthlyPaymentPaise"),
      startDate: value("startDate"),
      endDate: value("endDate"),
    },
    [],
  ),
);
